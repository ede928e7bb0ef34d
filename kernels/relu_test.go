package kernels

import (
	"math"
	"testing"
)

// TestReLUMatchesActivation requires ReLUForward and ReLUBackward to give ActForward's
// and ActBackward's bits, on signed zeros, subnormals, infinities and NaN too.
func TestReLUMatchesActivation(t *testing.T) {
	special := []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 1, -1, 0.3, -2.5,
		math.Inf(1), math.Inf(-1), math.NaN()}
	special32 := []float32{math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		math.MaxFloat32, -math.MaxFloat32, math.Float32frombits(0xffc00000), // -NaN
		math.Float32frombits(0x7f800001)} // a signalling NaN
	for _, x := range special {
		special32 = append(special32, float32(x))
		for _, g := range special {
			checkReLU(t, []float64{x}, []float64{g})
		}
	}
	for _, x := range special32 {
		for _, g := range special32 {
			checkReLU(t, []float32{x}, []float32{g})
		}
	}
}

func checkReLU[T Float](t *testing.T, x, dy []T) {
	t.Helper()
	y, want := make([]T, 1), make([]T, 1)
	ReLUForward(y, x)
	ActForward(ReLU, want, x, 0)
	if !sameBits(y[0], want[0]) {
		t.Errorf("ReLUForward(%g) = %g, ActForward %g", x[0], y[0], want[0])
	}
	dx, wantDx := make([]T, 1), make([]T, 1)
	ReLUBackward(dx, dy, y)
	ActBackward(ReLU, wantDx, dy, y, 0)
	if !sameBits(dx[0], wantDx[0]) {
		t.Errorf("ReLUBackward(dy %g, y %g) = %g, ActBackward %g", dy[0], y[0], dx[0], wantDx[0])
	}
}

func sameBits[T Float](a, b T) bool {
	if a != a && b != b {
		return true
	}
	return math.Float64bits(float64(a)) == math.Float64bits(float64(b))
}
