package kernels

import "math"

// Adam applies one Adam step to a tensor p with gradient g and moment estimates m, v
// (all the same length), in the form shared by Keras 2.1.1 and PyTorch:
//
//	m = β₁ m + (1-β₁) g
//	v = β₂ v + (1-β₂) g²
//	p = p - alpha · m / (√v / vScale + eps)
//
// The caller folds the bias corrections c₁ = 1-β₁ᵗ, c₂ = 1-β₂ᵗ into the float64 scalars:
//
//	Keras 2.1.1:  alpha = lr·√c₂/c₁, vScale = 1    (lr_t, and eps added to √v unscaled)
//	PyTorch:      alpha = lr/c₁,     vScale = √c₂   (eps added to √v̂ = √v/√c₂)
//
// The two agree except for where eps sits, which matters while v is small.
func Adam[T Float](p, g, m, v []T, beta1, beta2, alpha, vScale, eps float64) {
	checkLen("Adam", len(p), len(g))
	checkLen("Adam", len(p), len(m))
	checkLen("Adam", len(p), len(v))
	b1, b2 := T(beta1), T(beta2)
	c1, c2 := T(1-beta1), T(1-beta2)
	a, s, e := T(alpha), T(vScale), T(eps)
	for i, gi := range g {
		m[i] = b1*m[i] + c1*gi
		v[i] = b2*v[i] + c2*gi*gi
		p[i] -= a * m[i] / (T(math.Sqrt(float64(v[i])))/s + e)
	}
}
