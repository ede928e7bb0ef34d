package kernels

// The AVX2 and FMA3 microkernels of sgemm_amd64.s; see sgemm.go for the driver.

//go:noescape
func sgemm4x16(k int, a *float32, rs, ks int, b *float32, ldb int, c *float32, ldc int,
	alpha float32)

//go:noescape
func sgemm4x8(k int, a *float32, rs, ks int, b *float32, ldb int, c *float32, ldc int,
	alpha float32)

//go:noescape
func sgemm1x16(k int, a *float32, ks int, b *float32, ldb int, c *float32, alpha float32)

//go:noescape
func sgemm1x8(k int, a *float32, ks int, b *float32, ldb int, c *float32, alpha float32)

func cpuid(eax, ecx uint32) (a, b, c, d uint32)
func xgetbv() (eax uint32)

// hasFMA reports whether the CPU and the operating system support AVX2 and FMA3: CPUID
// leaf 1 has FMA (ECX bit 12), OSXSAVE (bit 27) and AVX (bit 28), XCR0 has the XMM and
// YMM state enabled (bits 1 and 2), and leaf 7 has AVX2 (EBX bit 5).
func hasFMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&(fma|osxsave|avx) != fma|osxsave|avx || xgetbv()&6 != 6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0
}
