package train

import (
	"fmt"
	"slices"
	"strings"

	"github.com/seqnn/seqnn/kernels"
	"github.com/seqnn/seqnn/nn"
	"github.com/seqnn/seqnn/optim"
)

// Conventions name the two forms of the recurrent layers a model can be built in.
const (
	// Keras is Keras 2.1.1's, the tutorial's: hard_sigmoid gates in the LSTM and the GRU,
	// and a GRU that applies its reset gate before the recurrent product (bias (3H)).
	Keras = "keras"
	// PyTorch is torch.nn.LSTM's and torch.nn.GRU's (and cuDNN's): sigmoid gates, and a
	// GRU that applies its reset gate after the recurrent product (reset_after=True,
	// bias (2, 3H)). The CNN is the same in both.
	PyTorch = "pytorch"
)

// Conventions lists the names ParseConvention accepts.
var Conventions = []string{Keras, PyTorch}

// DTypes lists the element types a model can train in.
var DTypes = []string{"float32", "float64"}

// ParseConvention checks a convention name; "" means Keras.
func ParseConvention(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", Keras:
		return Keras, nil
	case PyTorch:
		return PyTorch, nil
	}
	return "", fmt.Errorf("convention %q: want %s", s, strings.Join(Conventions, " or "))
}

// ParseAdamForm reads "keras" or "pytorch" as an optim.Form; "" means Keras.
func ParseAdamForm(s string) (optim.Form, error) {
	switch strings.ToLower(s) {
	case "", "keras":
		return optim.Keras, nil
	case "pytorch":
		return optim.PyTorch, nil
	}
	return 0, fmt.Errorf("Adam form %q: want keras or pytorch", s)
}

// ParseDType checks a dtype name; "" means float32.
func ParseDType(s string) (string, error) {
	switch s {
	case "", "float32":
		return "float32", nil
	case "float64":
		return "float64", nil
	}
	return "", fmt.Errorf("dtype %q: want %s", s, strings.Join(DTypes, " or "))
}

// dtypeOf names T as DTypes does.
func dtypeOf[T nn.Float]() string {
	var x T
	if _, ok := any(x).(float64); ok {
		return "float64"
	}
	return "float32"
}

// BuildModel returns the tutorial model called name in the given convention, for
// windows of In steps of one feature and batches of up to maxB, its weights drawn from
// seed. The Keras convention is nn.TutorialModel itself. The PyTorch convention builds
// the same layers with the recurrent layer switched to sigmoid gates and, for the GRU,
// the reset gate after the recurrent product; with the same seed it draws the same
// kernels, and its GRU's second bias row starts at zero like the first.
func BuildModel[T nn.Float](name, convention string, In, maxB int, seed uint64) (
	*nn.Sequential[T], error) {
	in := nn.Shape{In, 1}
	if convention == Keras || name == "cnn" {
		if !slices.Contains(Conventions, convention) {
			return nil, fmt.Errorf("%s: unknown convention %q", name, convention)
		}
		return nn.TutorialModel[T](name, in, maxB, seed)
	}
	if convention != PyTorch {
		return nil, fmt.Errorf("%s: unknown convention %q", name, convention)
	}

	// The layers of nn.TutorialModel; TestBuildModelConventions checks the two agree.
	var layers []nn.Layer[T]
	switch name {
	case "lstm":
		l := nn.NewLSTM[T](50)
		l.RecurrentActivation = kernels.Sigmoid
		layers = []nn.Layer[T]{l, nn.NewDropout[T](0.8, seed),
			nn.NewDense[T](16, kernels.Linear), nn.NewLeakyReLU[T](0.3)}
	case "gru":
		g := nn.NewGRU[T](50)
		g.RecurrentActivation, g.ResetAfter = kernels.Sigmoid, true
		layers = []nn.Layer[T]{g, nn.NewActivation[T](kernels.Tanh),
			nn.NewDropout[T](0.2, seed), nn.NewDense[T](16, kernels.Linear),
			nn.NewActivation[T](kernels.ReLU)}
	default:
		return nil, fmt.Errorf("unknown model %q (want one of %s)", name,
			strings.Join(Models, ", "))
	}
	m, err := nn.NewSequential(in, maxB, seed, layers...)
	if err != nil {
		return nil, fmt.Errorf("%s model, %s convention: %w", name, convention, err)
	}
	return m, nil
}

// describeParams lists a model's tensors with their shapes, for error messages.
func describeParams[T nn.Float](m *nn.Sequential[T]) string {
	var parts []string
	for _, p := range m.Params() {
		parts = append(parts, fmt.Sprintf("%s %v", p.Name, p.Shape))
	}
	return strings.Join(parts, ", ")
}
