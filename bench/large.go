package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/seqnn/seqnn/kernels"
	"github.com/seqnn/seqnn/nn"
)

// The large recurrent shape, where the matrix products dominate: the same as
// torch_epoch.py's lstm-large and gru-large jobs.
const (
	LargeB = 64
	LargeT = 256
	LargeF = 256
	LargeH = 256
)

// Large is one forward and backward pass of an LSTM or GRU layer at the large shape, in
// the form PyTorch's nn.LSTM and nn.GRU compute (sigmoid recurrent activation, the GRU's
// reset gate after the recurrent product), on inputs uniform in [0, 1) and the upstream
// gradient dy = 1 of out[:, -1].sum(), as torch_epoch.py times it. Like the PyTorch job
// it forms no input gradient. Run allocates nothing.
type Large struct {
	Layer  nn.Layer[float32]
	params []*nn.Param[float32]
	x      []float32 // (LargeB, LargeT, LargeF)
	y, dy  []float32 // (LargeB, LargeH)
}

// NewLarge builds the layer of kind "lstm" or "gru" with weights drawn from seed.
func NewLarge(kind string, seed uint64) (*Large, error) {
	var l nn.Layer[float32]
	switch kind {
	case "lstm":
		lstm := nn.NewLSTM[float32](LargeH)
		lstm.RecurrentActivation = kernels.Sigmoid
		l = lstm
	case "gru":
		gru := nn.NewGRU[float32](LargeH)
		gru.RecurrentActivation = kernels.Sigmoid
		gru.ResetAfter = true
		l = gru
	default:
		return nil, fmt.Errorf("bench: large layer %q: want lstm or gru", kind)
	}
	rng := rand.New(rand.NewPCG(seed, 0x1a76e))
	if _, err := l.Build(nn.Shape{LargeT, LargeF}, LargeB, rng); err != nil {
		return nil, fmt.Errorf("bench: large %s: %w", kind, err)
	}
	lg := &Large{Layer: l, params: l.Params(), x: uniform(rng, LargeB*LargeT*LargeF),
		y: make([]float32, LargeB*LargeH), dy: make([]float32, LargeB*LargeH)}
	for i := range lg.dy {
		lg.dy[i] = 1
	}
	return lg, nil
}

// Run runs Forward and Backward once each.
func (lg *Large) Run() {
	lg.Forward()
	lg.Backward()
}

// Forward runs the layer's Forward on the large input.
func (lg *Large) Forward() { lg.Layer.Forward(lg.y, lg.x, LargeB) }

// Backward zeroes the parameter gradients and runs the layer's Backward for the last
// Forward, without an input gradient.
func (lg *Large) Backward() {
	for _, p := range lg.params {
		clear(p.DW)
	}
	lg.Layer.Backward(nil, lg.dy, LargeB)
}

// Jobs names the work the side-by-side runner can time, as torch_epoch.py names it.
var Jobs = []string{"lstm", "gru", "cnn", "lstm-large", "gru-large"}

// NewJob returns the work of a job in Jobs, built with its data and ready to run
// repeatedly: an Epoch.Run for lstm, gru and cnn, a Large.Run for the large ones.
func NewJob(name string, seed uint64) (func(), error) {
	switch name {
	case "lstm", "gru", "cnn":
		e, err := NewEpoch(name, seed)
		if err != nil {
			return nil, err
		}
		return func() { e.Run() }, nil
	case "lstm-large", "gru-large":
		lg, err := NewLarge(name[:len(name)-len("-large")], seed)
		if err != nil {
			return nil, err
		}
		return lg.Run, nil
	}
	return nil, fmt.Errorf("bench: unknown job %q (want one of %v)", name, Jobs)
}
