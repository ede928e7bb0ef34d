package kernels

// AdamStep holds the float64 scalars of one Adam step, as Adam takes them: the moment
// decays β₁ and β₂, the step size alpha, the scale of √v and epsilon (see Adam for how
// the Keras 2.1.1 and PyTorch forms fold their bias corrections into alpha and VScale).
// An optimizer computes it once per step on the host; a device applies it to every tensor
// where the tensors live.
type AdamStep struct {
	Beta1, Beta2, Alpha, VScale, Eps float64
}

// ApplyAdam applies one Adam step with scalars s to p, given its gradient g and moments
// m, v.
func ApplyAdam[T Float](p, g, m, v []T, s AdamStep) {
	Adam(p, g, m, v, s.Beta1, s.Beta2, s.Alpha, s.VScale, s.Eps)
}
