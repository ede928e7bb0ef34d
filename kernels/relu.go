package kernels

import "math"

// ReLUForward sets y[i] = max(x[i], 0): ActForward(ReLU, y, x, ·) without a switch on the
// activation per element, bit for bit the same (NaN and -0 give +0). y and x may be the
// same slice.
//
// In float32 it also has no branch on the sign, which on a layer's pre-activations is
// as good as random: x > 0 exactly when the bits b, as an unsigned number, have
// b-1 < 0x7f800000 (positive, up to +Inf; not 0, -x or NaN), and y keeps b or clears it.
func ReLUForward[T Float](y, x []T) {
	checkLen("ReLUForward", len(y), len(x))
	if x32, ok := any(x).([]float32); ok {
		y32 := any(y).([]float32)[:len(x32)]
		for i, v := range x32 {
			b := math.Float32bits(v)
			y32[i] = math.Float32frombits(b & -positive32(b))
		}
		return
	}
	for i, v := range x {
		if !(v > 0) { // NaN gives 0, as in Apply
			v = 0
		}
		y[i] = v
	}
}

// ReLUBackward sets dx[i] = dy[i]·[y[i] > 0] from the forward output y: ActBackward(ReLU,
// dx, dy, y, ·) without its per-element switch, bit for bit the same (a NaN or infinite
// dy still gives NaN through a dropped unit, and a negative one gives -0); in float32
// without a branch, as ReLUForward. dx and dy may be the same slice.
func ReLUBackward[T Float](dx, dy, y []T) {
	checkLen("ReLUBackward", len(dx), len(dy))
	checkLen("ReLUBackward", len(dx), len(y))
	if dy32, ok := any(dy).([]float32); ok {
		dx32, y32 := any(dx).([]float32), any(y).([]float32)
		dy32, y32 = dy32[:len(dx32)], y32[:len(dx32)]
		for i, g := range dy32 {
			one := math.Float32bits(1) & -positive32(math.Float32bits(y32[i]))
			dx32[i] = g * math.Float32frombits(one)
		}
		return
	}
	y = y[:len(dx)]
	for i, g := range dy[:len(dx)] {
		var d T
		if y[i] > 0 {
			d = 1
		}
		dx[i] = g * d
	}
}

// positive32 is 1 when the float32 with bits b is greater than 0, else 0: b-1 wraps
// below 0x7f800000 exactly for +subnormals through +Inf.
func positive32(b uint32) uint32 {
	return uint32((uint64(b-1) - 0x7f800000) >> 63)
}
