package kernels

import (
	"math"
	"testing"
)

// TestDropoutMaskFollowsRecipe rebuilds masks from the recipe in dropout.go, with the
// comparison u(i) >= ceil(rate·2⁵³) written as a branch, and demands DropoutMask's values
// bit for bit, at rates whose threshold is 0, tiny, a half and nearly 2⁵³.
func TestDropoutMaskFollowsRecipe(t *testing.T) {
	for _, rate := range []float64{0, 0x1p-53, 0.2, 0.5, 0.8, 1 - 0x1p-53} {
		thr := uint64(math.Ceil(rate * (1 << 53)))
		key := DropoutKey(9, 4)
		m32, m64 := make([]float32, 5000), make([]float64, 5000)
		DropoutMask(m32, 9, 4, rate)
		DropoutMask(m64, 9, 4, rate)
		for i := range m64 {
			var want float64
			if DropoutBits(key, uint64(i))>>11 >= thr {
				want = 1 / (1 - rate)
			}
			if m64[i] != want || m32[i] != float32(want) {
				t.Fatalf("rate %g: mask[%d] = %g, %g; want %g", rate, i, m64[i], m32[i], want)
			}
		}
	}
}
