package kernels

// ReLUForward sets y[i] = max(x[i], 0): ActForward(ReLU, y, x, ·) without a switch on the
// activation per element, bit for bit the same. y and x may be the same slice.
func ReLUForward[T Float](y, x []T) {
	checkLen("ReLUForward", len(y), len(x))
	for i, v := range x {
		if !(v > 0) { // NaN gives 0, as in Apply
			v = 0
		}
		y[i] = v
	}
}

// ReLUBackward sets dx[i] = dy[i]·[y[i] > 0] from the forward output y: ActBackward(ReLU,
// dx, dy, y, ·) without its per-element switch, bit for bit the same (a NaN or infinite
// dy still gives NaN through a dropped unit, and a negative one gives -0). dx and dy may
// be the same slice.
func ReLUBackward[T Float](dx, dy, y []T) {
	checkLen("ReLUBackward", len(dx), len(dy))
	checkLen("ReLUBackward", len(dx), len(y))
	y = y[:len(dx)]
	for i, g := range dy[:len(dx)] {
		var d T
		if y[i] > 0 {
			d = 1
		}
		dx[i] = g * d
	}
}
