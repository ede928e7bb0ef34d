package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// The long-sequence gradient checks run LSTM and GRU at the tutorial's length, T = 256,
// where an error in backpropagation through time that the short checks of lstm_test.go
// and gru_test.go (T ≤ 7) cannot see, such as a recurrent term dropped after some step,
// changes the gradient of the first steps. Widths stay small (B = 2, F = 3, H = 5) and
// the harness checks a seeded sample of longSample entries per tensor, plus every input
// entry of the first step.
const (
	longB, longT, longF, longH = 2, 256, 3, 5
	longSample                 = 40
)

// gateScale sets one gate's weights for a long check: kernel entries uniform in
// ±w/F, recurrent entries uniform in ±u/H and biases uniform in center ± spread. As
// |x| ≤ 1 and |h| < 1, the gate's pre-activation stays within center ± (w + u + spread).
type gateScale struct{ center, spread, w, u float64 }

// memoryGate returns the scale of a gate held near keep (the LSTM's forget gate, the
// GRU's update gate), which carries the state and its gradient across the steps: at
// keep = 0.99 the direct path keeps 0.99²⁵⁶ ≈ 0.08 of the gradient over 256 steps. With
// Keras's initial weights instead, the largest ∂L/∂x at t = 0 is 8e-18 (LSTM) and 3e-69
// (GRU), far below the central difference's rounding error of about 1e-11, so a check
// there could not fail. The GRU gets keep = 0.995, as its first input enters h_0
// through 1 - z ≈ 0.005 as well. The pre-activation stays within ±0.01 of
// ra⁻¹(keep), which for hard_sigmoid and keep ≤ 0.995 is at most 2.485, 0.015 away from
// the kink at 2.5, against the harness's step of 1e-5.
func memoryGate(ra kernels.Activation, keep float64) gateScale {
	center := math.Log(keep / (1 - keep)) // sigmoid⁻¹
	if ra == kernels.HardSigmoid {
		center = (keep - 0.5) / 0.2
	}
	return gateScale{center: center, w: 0.005, u: 0.005}
}

// The other gates keep their pre-activations inside hard_sigmoid's linear piece: within
// ±1.8 of 0 for the GRU's gates and the LSTM's output gate, and in [-2.4, 0] for the
// LSTM's input gate, whose small value (about 0.26) with a zero-centred candidate (bias
// 0, within ±1.5) keeps the cell state, which the forget gate near 1 barely shrinks,
// from drifting into tanh's flat tails, where the gradient to the first step would
// vanish. The recurrent weights are as large as the input weights, or half, so that the
// paths through U carry a good part of the first step's gradient.
var (
	plainGate     = gateScale{spread: 0.3, w: 0.5, u: 1}
	inputGate     = gateScale{center: -1.2, spread: 0.2, w: 0.5, u: 0.5}
	candidateGate = gateScale{w: 1, u: 0.5}
)

// setLongWeights overwrites the parameters of a recurrent layer whose gates, in Keras
// order, have the given scales. A bias of shape (2, G·H) (the reset-after GRU) splits
// each gate's spread evenly between b and b'; b' only adds to z and r, and r⊙b' to hh.
func setLongWeights(l Layer[float64], gates []gateScale, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 5))
	uniform := func(r float64) float64 { return r * (2*rng.Float64() - 1) }
	cols := len(gates) * longH
	for _, p := range l.Params() {
		for i := range p.W {
			s := gates[i%cols/longH]
			switch {
			case p.Name == "kernel":
				p.W[i] = uniform(s.w / longF)
			case p.Name == "recurrent_kernel":
				p.W[i] = uniform(s.u / longH)
			case len(p.W) == cols:
				p.W[i] = s.center + uniform(s.spread)
			case i < cols:
				p.W[i] = s.center + uniform(s.spread/2)
			default:
				p.W[i] = uniform(s.spread / 2)
			}
		}
	}
}

// checkLongGrad runs the sampled harness on a layer at T = 256 and checks that the
// gradient of the first step has not vanished: its largest entry must be at least
// 1e-4, ten times the size below which the central difference's rounding error
// (≈ 1e-11) alone could exceed gradTol, so that a wrong gradient there can fail.
func checkLongGrad(t *testing.T, l Layer[float64], gates []gateScale, seed uint64) {
	t.Helper()
	m, err := NewSequential[float64](Shape{longT, longF}, longB, seed, l)
	if err != nil {
		t.Fatal(err)
	}
	setLongWeights(l, gates, seed)

	var first []int // every input entry of step 0, in x (B, T, F)
	for b := range longB {
		for f := range longF {
			first = append(first, b*longT*longF+f)
		}
	}
	s := gradSample{N: longSample, Input: first}
	dx := gradCheckSampled(t, m, longB, -1, 1, seed, s)

	var big0, bigLast float64
	for b := range longB {
		for f := range longF {
			big0 = max(big0, math.Abs(dx[b*longT*longF+f]))
			bigLast = max(bigLast, math.Abs(dx[(b*longT+longT-1)*longF+f]))
		}
	}
	t.Logf("max |∂L/∂x| at t = 0: %.3g, at t = %d: %.3g", big0, longT-1, bigLast)
	if big0 < 1e-4 {
		t.Errorf("max |∂L/∂x| at t = 0 is %.3g < 1e-4: a check there cannot fail", big0)
	}
}

// The layers have no return_sequences=True form (Forward returns h_{T-1} only), so
// these checks cover the last-step output the tutorial uses.

func TestLSTMGradientLong(t *testing.T) {
	for _, ra := range []kernels.Activation{kernels.HardSigmoid, kernels.Sigmoid} {
		t.Run(ra.String(), func(t *testing.T) {
			l := NewLSTM[float64](longH)
			l.RecurrentActivation = ra
			// Gate order i, f, c, o.
			forget := memoryGate(ra, 0.99)
			gates := []gateScale{inputGate, forget, candidateGate, plainGate}
			checkLongGrad(t, l, gates, 17)
		})
	}
}

func TestGRUGradientLong(t *testing.T) {
	for _, c := range gruConventions {
		t.Run(fmt.Sprintf("%v/resetAfter=%v", c.ra, c.resetAfter), func(t *testing.T) {
			l := newTestGRU[float64](longH, c.ra, c.resetAfter)
			// Gate order z, r, hh.
			gates := []gateScale{memoryGate(c.ra, 0.995), plainGate, plainGate}
			checkLongGrad(t, l, gates, 19)
		})
	}
}
