//go:build cuda

package emu

import (
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"github.com/seqnn/seqnn/kernels"
)

// TestStepMatchesBlockLongK extends TestStepMatchesBlock to recurrent products long
// enough that core.Gemm would split them along k (k ≥ 2·128 on a product of one or two
// tiles): the LSTM's backward dz_{t+1}·Uᵀ sums over 4H = 256 terms at H = 64, the
// reset-after GRU's over 3H = 258 at H = 86. A split product adds its parts' partial
// sums in gemm_reduce, which is not the one-launch loops' single sum in order, so the
// per-step products must not be split for LoopStep to match LoopPersistent bit for bit.
func TestStepMatchesBlockLongK(t *testing.T) {
	t.Run("f32", testStepLongK[float32])
	t.Run("f64", testStepLongK[float64])
}

func testStepLongK[T kernels.Float](t *testing.T) {
	const B, Tn, F = 1, 2, 2
	for _, c := range []struct {
		kind string
		H    int
	}{{"lstm", 64}, {"gru-reset-after", 86}} {
		rng := rand.New(rand.NewPCG(11, uint64(c.H)))
		H, G, nb := c.H, 4*c.H, 4*c.H
		if c.kind != "lstm" {
			G, nb = 3*H, 6*H
		}
		x, dy := cast[T](rnd(rng, B*Tn*F, 1)), cast[T](rnd(rng, B*Tn*H, 1))
		w, u, bias := cast[T](rnd(rng, F*G, 0.5)), cast[T](rnd(rng, H*G, 0.3)),
			cast[T](rnd(rng, nb, 0.5))
		want := runRecurrent(t, NewDriver(), c.kind, core.LoopPersistent, B, Tn, F, H, x, w,
			u, bias, dy, kernels.HardSigmoid)
		got := runRecurrent(t, NewDriver(), c.kind, core.LoopStep, B, Tn, F, H, x, w, u,
			bias, dy, kernels.HardSigmoid)
		for j, what := range []string{"h", "dx", "dw", "du", "db"} {
			for e := range got[j] {
				if got[j][e] != want[j][e] {
					t.Errorf("%s H %d: LoopStep %s[%d] = %v, persistent %v", c.kind, H, what,
						e, got[j][e], want[j][e])
					break
				}
			}
		}
	}
}
