// Package train runs the 2017 tutorial "Predicting Cryptocurrency Price With Tensorflow
// and Keras" on seqnn models: it prepares scaled windows of closing prices, trains a
// model with Adam on the mean squared error, writes a Keras-like CSV log and per-epoch
// checkpoints, and evaluates the best checkpoint against simple baselines in USD.
//
// The package never prints: Fit reports progress through a callback, and the command in
// cmd/demo turns those reports into a progress bar and one line per epoch.
//
// Names follow the nn legend where they apply: B batch, N windows, In input steps per
// window, Out predicted steps per window. Values live in two spaces: "scaled" (min-max
// scaled to the range the scaler was fitted on, the space the models train in) and USD.
//
// Every file the package writes is written atomically: to a temporary file in the same
// directory, synced, then renamed over the target, so a crash or Ctrl-C never leaves a
// half-written dataset, log, checkpoint, results table or plot behind.
package train
