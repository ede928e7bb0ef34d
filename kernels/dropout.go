package kernels

import (
	"fmt"
	"math"
)

// Dropout masks are counter-based: whether element i of a batch is kept at a given
// training step is a pure function of (seed, step, i), so a mask can be rebuilt at any
// time (a resumed run, a gradient check, a GPU kernel) without carrying generator state.
//
// The exact recipe, in wrapping uint64 arithmetic, which a CUDA kernel must follow bit for
// bit:
//
//	mix(z)  = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9;
//	          z ^= z >> 27; z *= 0x94D049BB133111EB; z ^ (z >> 31)   (splitmix64's finalizer)
//	key     = mix(seed ^ mix(step + 0x9E3779B97F4A7C15))
//	bits(i) = mix(key + (i+1)·0x9E3779B97F4A7C15)
//	u(i)    = bits(i) >> 11                                         (53 bits, uniform)
//	keep(i) = u(i) >= ceil(rate · 2⁵³)
//
// so u(i)·2⁻⁵³ is uniform on [0, 1) and element i is kept with probability 1-rate, exactly
// when u(i)·2⁻⁵³ >= rate. i is the flat index into the batch's (B, in...) buffer, so a
// sample's mask does not depend on the batch size.

const golden = 0x9E3779B97F4A7C15 // 2⁶⁴/φ, splitmix64's increment

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// DropoutKey is the per-step key of the recipe above.
func DropoutKey(seed, step uint64) uint64 {
	return mix64(seed ^ mix64(step+golden))
}

// DropoutBits is bits(i) of the recipe above for the key of a (seed, step).
func DropoutBits(key, i uint64) uint64 {
	return mix64(key + (i+1)*golden)
}

// DropoutThreshold is ceil(rate·2⁵³): element i is kept when bits(i)>>11 is at least
// this. It panics unless 0 <= rate < 1.
func DropoutThreshold(rate float64) uint64 {
	if !(rate >= 0 && rate < 1) {
		panic(fmt.Sprintf("kernels: dropout rate %g outside [0, 1)", rate))
	}
	return uint64(math.Ceil(math.Ldexp(rate, 53)))
}

// DropoutMask fills mask with the inverted-dropout factors of step: mask[i] = 1/(1-rate)
// where element i is kept and 0 where it is dropped, so that E[mask[i]] = 1. The factor is
// computed in float64 and rounded once to T.
func DropoutMask[T Float](mask []T, seed, step uint64, rate float64) {
	thr := DropoutThreshold(rate)
	scale := T(1 / (1 - rate))
	key := DropoutKey(seed, step)
	// Half the elements are dropped at rate 0.5, at random: a branch on keep(i) would be
	// mispredicted every other element. The 53-bit u(i) and thr are below 2⁶³, so
	// (u(i) - thr) >> 63 is 1 exactly when u(i) < thr, without a branch.
	factor := [2]T{scale, 0}
	for i := range mask {
		mask[i] = factor[(DropoutBits(key, uint64(i))>>11-thr)>>63]
	}
}

// DropoutForward sets y = x ⊙ mask. y and x may be the same slice.
func DropoutForward[T Float](y, x, mask []T) {
	checkLen("DropoutForward", len(y), len(x))
	checkLen("DropoutForward", len(y), len(mask))
	for i, v := range x {
		y[i] = v * mask[i]
	}
}

// DropoutBackward sets dx = dy ⊙ mask, the derivative of DropoutForward. dx and dy may be
// the same slice.
func DropoutBackward[T Float](dx, dy, mask []T) {
	checkLen("DropoutBackward", len(dx), len(dy))
	checkLen("DropoutBackward", len(dx), len(mask))
	for i, g := range dy {
		dx[i] = g * mask[i]
	}
}
