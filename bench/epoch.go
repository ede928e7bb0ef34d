// Package bench measures seqnn's kernels, layers and training epochs, and holds the work
// that the side-by-side runner (bench/compare) times against PyTorch (bench/torch_epoch.py).
//
// Names follow the kernels package legend: B batch, T time steps, F input features,
// H hidden units, K kernel width, S stride, C channels, O outputs. FLOPs are counted in
// flops.go only. The package never prints; the benchmarks report through testing.B.
package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/seqnn/seqnn/nn"
	"github.com/seqnn/seqnn/optim"
)

// The work of one epoch, the same as bench/torch_epoch.py's: the tutorial's windows of
// 256 steps of one feature predicting 16 steps, 107 training batches of 8 and a
// validation pass over 214 windows.
const (
	WindowIn     = 256 // T, input steps per window (F = 1)
	Out          = 16  // predicted steps per window
	Units        = 50  // H of the tutorial's LSTM and GRU
	Batch        = 8
	TrainBatches = 107
	ValWindows   = 214
)

// Epoch is one training epoch of a tutorial model on seeded random data of the real
// shapes, float32: per batch ZeroGrad, Forward with dropout on, MSE, BackwardParams (no
// input gradient, as in training) and an Adam step (Keras 2.1.1's defaults), then Forward
// and MSE with dropout off over the validation windows. It mirrors train.Fit's inner loop
// without its shuffling, logging and checkpoints. Build it once with NewEpoch; Run
// allocates nothing.
type Epoch struct {
	Model *nn.Sequential[float32]

	opt     *optim.Adam[float32]
	ws, dws [][]float32 // parameters and their gradients, in Model.Params order
	step    uint64      // optimizer steps taken, the dropout masks' step

	x, y   []float32 // (TrainBatches·Batch, WindowIn), (TrainBatches·Batch, Out)
	xv, yv []float32 // (ValWindows, WindowIn), (ValWindows, Out)
	dy     []float32 // (Batch, Out) ∂L/∂y
}

// NewEpoch builds the tutorial model called model ("cnn", "lstm" or "gru") with weights
// and dropout masks from seed, its Adam optimizer, and uniform [0, 1) data drawn from
// seed, as the scaled prices are.
func NewEpoch(model string, seed uint64) (*Epoch, error) {
	m, err := nn.TutorialModel[float32](model, nn.Shape{WindowIn, 1}, Batch, seed)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if m.Out.Size() != Out {
		return nil, fmt.Errorf("bench: model %s predicts %v values per window, want %d",
			model, m.Out, Out)
	}
	e := &Epoch{Model: m, dy: make([]float32, Batch*Out)}
	for _, p := range m.Params() {
		e.ws, e.dws = append(e.ws, p.W), append(e.dws, p.DW)
	}
	e.opt = optim.NewAdam(optim.DefaultAdam(), e.ws)

	rng := rand.New(rand.NewPCG(seed, 0xda7a))
	n := TrainBatches * Batch
	e.x, e.y = uniform(rng, n*WindowIn), uniform(rng, n*Out)
	e.xv, e.yv = uniform(rng, ValWindows*WindowIn), uniform(rng, ValWindows*Out)
	return e, nil
}

// Run trains for one epoch and validates; it returns the mean training loss and the
// validation loss.
func (e *Epoch) Run() (loss, valLoss float64) {
	for i := range TrainBatches {
		loss += e.Step(i)
	}
	return loss / TrainBatches, e.Validate()
}

// Step trains on batch i (0 ≤ i < TrainBatches) and returns its loss.
func (e *Epoch) Step(i int) float64 {
	m := e.Model
	m.SetTraining(true)
	m.SetStep(e.step)
	m.ZeroGrad()
	y := m.Forward(e.x[i*Batch*WindowIn:(i+1)*Batch*WindowIn], Batch)
	loss := nn.MSE(e.dy, y, e.y[i*Batch*Out:(i+1)*Batch*Out])
	m.BackwardParams(e.dy, Batch)
	e.opt.Update(e.ws, e.dws)
	e.step++
	return loss
}

// Validate returns the MSE over the validation windows with dropout off, in batches of
// Batch (the last one smaller), as train.Loss and torch_epoch.py compute it.
func (e *Epoch) Validate() float64 {
	m := e.Model
	m.SetTraining(false)
	var sum float64
	for i := 0; i < ValWindows; i += Batch {
		B := min(Batch, ValWindows-i)
		y := m.Forward(e.xv[i*WindowIn:(i+B)*WindowIn], B)
		sum += nn.MSE(nil, y, e.yv[i*Out:(i+B)*Out]) * float64(B)
	}
	return sum / ValWindows
}

// uniform returns n values drawn uniform in [0, 1).
func uniform(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()
	}
	return v
}
