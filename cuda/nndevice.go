//go:build cuda

package cuda

import (
	"fmt"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"github.com/seqnn/seqnn/nn"
)

// NNDevice is a GPU as package nn sees it: an nn.Device[T] whose Open places a
// Sequential on the GPU for a whole run. The session keeps weights, activations,
// gradients and Adam moments on the device; a training step sends the batch and the
// target in, queues forward, loss, backward and one Adam launch, and copies the loss out.
//
// Layers: Dense, Conv1D, LSTM, GRU (both reset conventions), Dropout (the CPU's masks of
// (seed, step, index), bit for bit), Activation and LeakyReLU; Open returns an error
// naming any other. The slope of a LeakyReLU activation inside Dense, Conv1D or
// Activation is Keras's 0.3, the value nn's constructors fix. LSTM and GRU run their time
// loop as LoopAuto chooses (see core.Loop and README.md for the size limits).
type NNDevice[T Float] struct {
	d   *Device
	own bool // close d with the NNDevice
}

var _ nn.Device[float32] = (*NNDevice[float32])(nil)

// NewDevice opens GPU ordinal for models of element type T. Close releases it.
func NewDevice[T Float](ordinal int) (*NNDevice[T], error) {
	d, err := Open(ordinal)
	if err != nil {
		return nil, err
	}
	return &NNDevice[T]{d: d, own: true}, nil
}

// Share is d as an nn.Device[T], for callers that already hold the Device (tests,
// benchmarks, two element types on one GPU). Closing it leaves d open.
func Share[T Float](d *Device) *NNDevice[T] { return &NNDevice[T]{d: d} }

// Name implements nn.Device: "cuda:0 NVIDIA H200".
func (n *NNDevice[T]) Name() string {
	return fmt.Sprintf("cuda:%d %s", n.d.ordinal, n.d.Name())
}

// Open implements nn.Device. m stays the host copy that Session.Pull fills.
func (n *NNDevice[T]) Open(m *nn.Sequential[T]) (nn.Session[T], error) {
	s, err := core.Open(n.d.driver(), m)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Device is the GPU underneath.
func (n *NNDevice[T]) Device() *Device { return n.d }

// Close closes the GPU if NewDevice opened it; sessions must be closed first.
func (n *NNDevice[T]) Close() error {
	if n.own {
		return n.d.Close()
	}
	return nil
}
