package optim

import (
	"fmt"
	"math"

	"github.com/seqnn/seqnn/kernels"
)

// Float is the element type of the tensors an optimizer updates.
type Float = kernels.Float

// Form selects where an optimizer puts its bias corrections and epsilon.
type Form int

const (
	// Keras is Keras 2.1.1's Adam: the corrections scale the learning rate and epsilon is
	// added to √v.
	Keras Form = iota
	// PyTorch is torch.optim.Adam: the corrections scale m and v, and epsilon is added
	// to √v̂.
	PyTorch
)

func (f Form) String() string {
	switch f {
	case Keras:
		return "keras"
	case PyTorch:
		return "pytorch"
	}
	return fmt.Sprintf("Form(%d)", int(f))
}

// AdamConfig holds Adam's hyperparameters. Its zero value is not a usable configuration
// (the learning rate is 0): start from DefaultAdam.
type AdamConfig struct {
	LR, Beta1, Beta2, Epsilon float64
	Form                      Form
}

// Validate reports the first hyperparameter outside the range Adam is defined on: β₁ and
// β₂ in [0, 1), as torch.optim.Adam checks; the learning rate positive (torch also takes
// 0, a step that changes nothing); epsilon positive; each finite; and Form Keras or
// PyTorch. Epsilon 0 is refused although torch.optim.Adam (which checks only ε ≥ 0) and
// Keras accept it: an entry whose gradients have all been zero has m = v = 0, and its
// step m/(√v + ε) is then 0/0 = NaN, which turns the weight into NaN. NewAdam panics on
// what Validate reports; a caller that takes the hyperparameters from a user calls
// Validate first for an error.
func (c AdamConfig) Validate() error {
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 1):
		hint := ""
		if c == (AdamConfig{}) {
			hint = " (a zero AdamConfig; DefaultAdam gives Keras's)"
		}
		return fmt.Errorf("optim: Adam learning rate %g: must be positive and finite%s",
			c.LR, hint)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("optim: Adam β₁ (Beta1) %g: must be in [0, 1)", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("optim: Adam β₂ (Beta2) %g: must be in [0, 1)", c.Beta2)
	case !(c.Epsilon > 0) || math.IsInf(c.Epsilon, 1):
		return fmt.Errorf("optim: Adam epsilon %g: must be positive and finite (with 0, "+
			"a zero gradient makes the step 0/0 = NaN)", c.Epsilon)
	case c.Form != Keras && c.Form != PyTorch:
		return fmt.Errorf("optim: Adam %v: want Keras or PyTorch", c.Form)
	}
	return nil
}

// DefaultAdam returns Keras 2.1.1's defaults: lr 0.001, β₁ 0.9, β₂ 0.999, epsilon 1e-8
// (later Keras versions take epsilon from K.epsilon(), 1e-7), in the Keras form.
func DefaultAdam() AdamConfig {
	return AdamConfig{LR: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}
}

// Adam is the Adam optimizer (Kingma & Ba, 2015). With t = Step after the increment,
// c₁ = 1-β₁ᵗ and c₂ = 1-β₂ᵗ, each step applies per entry
//
//	m = β₁ m + (1-β₁) g
//	v = β₂ v + (1-β₂) g²
//
// and then, in the Keras 2.1.1 form (keras/optimizers.py, Adam.get_updates),
//
//	lr_t = lr · √c₂ / c₁,   p = p - lr_t · m / (√v + ε)
//
// or, in the PyTorch form (torch.optim.Adam),
//
//	m̂ = m / c₁,  v̂ = v / c₂,   p = p - lr · m̂ / (√v̂ + ε).
//
// The scalar factors are computed in float64; the per-entry arithmetic runs in T.
// Step, M and V are exported so that a checkpoint can save and restore them.
type Adam[T Float] struct {
	Config AdamConfig
	Step   int
	M, V   [][]T // first and second moments, shaped like the parameters
}

// NewAdam returns an optimizer for tensors shaped like params, with zero moments. It
// panics with the error cfg.Validate reports, if any.
func NewAdam[T Float](cfg AdamConfig, params [][]T) *Adam[T] {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	a := &Adam[T]{Config: cfg, M: make([][]T, len(params)), V: make([][]T, len(params))}
	for i, p := range params {
		a.M[i] = make([]T, len(p))
		a.V[i] = make([]T, len(p))
	}
	return a
}

// Update increments Step and applies one Adam step to every tensor params[i] with
// gradient grads[i]. It panics if the lists do not match the shapes given to NewAdam.
func (a *Adam[T]) Update(params, grads [][]T) {
	if len(params) != len(a.M) || len(grads) != len(a.M) {
		panic(fmt.Sprintf("optim: Adam.Update: %d params and %d grads, want %d",
			len(params), len(grads), len(a.M)))
	}
	s := a.Advance()
	for i, p := range params {
		kernels.ApplyAdam(p, grads[i], a.M[i], a.V[i], s)
	}
}

// Advance increments Step and returns the scalars of that step without touching any
// tensor, for a device that keeps the parameters and moments itself (nn.Session).
func (a *Adam[T]) Advance() kernels.AdamStep {
	a.Step++
	c := a.Config
	t := float64(a.Step)
	c1 := 1 - math.Pow(c.Beta1, t)
	c2 := 1 - math.Pow(c.Beta2, t)

	s := kernels.AdamStep{Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.Epsilon}
	switch c.Form {
	case Keras:
		s.Alpha, s.VScale = c.LR*math.Sqrt(c2)/c1, 1
	case PyTorch:
		s.Alpha, s.VScale = c.LR/c1, math.Sqrt(c2)
	default:
		panic(fmt.Sprintf("optim: Adam: unknown %v", c.Form))
	}
	return s
}
