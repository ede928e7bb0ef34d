package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGRUResetBeforeBackward checks the reset-before kernel pair. The step under test is
// the one nn.GRU runs, with the product (r⊙h_{t-1}) U_h between the two forward kernels
// and drh = dz_h U_hᵀ between the two backward ones; h_{t-1} U_zr is part of the input z,
// so dhPrev is the gradient with z held fixed.
func TestGRUResetBeforeBackward(t *testing.T) {
	const B, H = 3, 5
	for _, ra := range recurrentActs {
		rng := rand.New(rand.NewPCG(5, 6))
		z := uniform(rng, B*3*H, -1, 1) // x_t W + h_{t-1} U_zr in the z, r columns
		hPrev := uniform(rng, B*H, -1, 1)
		bias := uniform(rng, 3*H, -0.5, 0.5)
		uh := uniform(rng, H*H, -0.2, 0.2) // U_h; it feeds tanh only, which has no kinks
		gh := uniform(rng, B*H, -1, 1)

		gates, rh, h := make([]float64, B*3*H), make([]float64, B*H), make([]float64, B*H)
		forward := func() {
			copy(gates, z)
			GRUForwardZR(gates, rh, hPrev, bias, B, H, ra)
			Gemm(false, false, B, H, H, 1, rh, H, uh, H, 1, gates[2*H:], 3*H)
			GRUForwardH(gates, h, hPrev, bias, B, H, Tanh)
		}
		loss := func() float64 { forward(); return dot(gh, h) }

		forward()
		dgates, dhPrev, drh := make([]float64, B*3*H), make([]float64, B*H), make([]float64, B*H)
		GRUBackwardH(dgates, dhPrev, gh, gates, hPrev, B, H, ra, Tanh)
		Gemm(false, true, B, H, H, 1, dgates[2*H:], 3*H, uh, H, 0, drh, H)
		GRUBackwardR(dgates, dhPrev, drh, gates, hPrev, B, H, ra)

		checkGrad(t, fmt.Sprintf("%v: dz", ra), dgates, numGrad(z, loss))
		checkGrad(t, fmt.Sprintf("%v: dh_{t-1}", ra), dhPrev, numGrad(hPrev, loss))
	}
}

// TestGRUResetAfterBackward checks GRUResetAfterBackward against GRUResetAfterForward,
// with the input-side pre-activations x, the recurrent product rec and h_{t-1} as
// independent inputs; the biases get the gradients of the pre-activations they join.
func TestGRUResetAfterBackward(t *testing.T) {
	const B, H = 3, 5
	for _, ra := range recurrentActs {
		rng := rand.New(rand.NewPCG(7, 8))
		x := uniform(rng, B*3*H, -1, 1)   // x_t W
		rec := uniform(rng, B*3*H, -1, 1) // h_{t-1} U
		hPrev := uniform(rng, B*H, -1, 1)
		bias := uniform(rng, 6*H, -0.5, 0.5)
		gh := uniform(rng, B*H, -1, 1)

		gates, recH, h := make([]float64, B*3*H), make([]float64, B*H), make([]float64, B*H)
		forward := func() {
			copy(gates, x)
			GRUResetAfterForward(gates, recH, h, rec, hPrev, bias, B, H, ra, Tanh)
		}
		loss := func() float64 { forward(); return dot(gh, h) }

		forward()
		dgates, drec := make([]float64, B*3*H), make([]float64, B*3*H)
		dh := append([]float64(nil), gh...) // dhPrev and dh share a slice, as in nn.GRU
		GRUResetAfterBackward(dgates, drec, dh, dh, gates, recH, hPrev, B, H, ra, Tanh)

		checkGrad(t, fmt.Sprintf("%v: dx", ra), dgates, numGrad(x, loss))
		checkGrad(t, fmt.Sprintf("%v: drec", ra), drec, numGrad(rec, loss))
		checkGrad(t, fmt.Sprintf("%v: dh_{t-1}", ra), dh, numGrad(hPrev, loss))

		// db and db' are the sums over the batch of dgates and drec.
		db := make([]float64, 6*H)
		for b := range B {
			for j := range 3 * H {
				db[j] += dgates[b*3*H+j]
				db[3*H+j] += drec[b*3*H+j]
			}
		}
		checkGrad(t, fmt.Sprintf("%v: db", ra), db, numGrad(bias, loss))
	}
}

// BenchmarkGRUResetAfterForward times the elementwise part of one step at B = 8, H = 50.
func BenchmarkGRUResetAfterForward(b *testing.B) {
	const B, H = 8, 50
	gates, rec, bias := make([]float32, B*3*H), make([]float32, B*3*H), make([]float32, 6*H)
	recH, h, hPrev := make([]float32, B*H), make([]float32, B*H), make([]float32, B*H)
	for b.Loop() {
		GRUResetAfterForward(gates, recH, h, rec, hPrev, bias, B, H, HardSigmoid, Tanh)
	}
}
