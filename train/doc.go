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
// Training is generic over nn.Float (float32 by default, float64 for comparisons) and
// deterministic: the weights come from the seed (or an --init file), each epoch's order
// from (seed, epoch) and each dropout mask from (seed, Adam step, position), so two runs
// write the same files byte for byte and a resumed run (Config.Resume) continues exactly
// where a checkpoint, interrupted or not, left off. Checkpoints hold the weights under
// their Keras names in the dtype trained, Adam's moments under "optimizer/m/" and
// "optimizer/v/", and the settings needed to resume; docs/DATA.md lists their contents.
//
// For comparisons with another framework, WindowsDataset trains on a CSV of windows in
// model space (ReadWindows), BuildModel builds the models in the Keras or the PyTorch
// convention, and Config selects the Adam form and turns shuffling and dropout off;
// testdata/reference holds a 2-epoch PyTorch run of each model to compare with.
//
// Every file the package writes is written atomically: to a temporary file in the same
// directory, synced, then renamed over the target, so a crash or Ctrl-C never leaves a
// half-written dataset, log, checkpoint, results table or plot behind.
package train
