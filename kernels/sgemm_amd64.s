#include "textflag.h"

// Register-blocked float32 microkernels for sgemm (sgemm.go), AVX2 and FMA3:
//
//	C[0:mr, 0:nr] += alpha · Σ_{p<k} A(r, p) · B[p, 0:nr]
//
// A(r, p) is read at a + r·rs + p·ks (in elements), so one kernel serves A stored as is
// (rs = lda, ks = 1) and transposed (rs = 1, ks = lda). B and C are row-major with row
// strides ldb and ldc. The sums build in registers; C is read and written once.

// func sgemm4x16(k int, a *float32, rs, ks int, b *float32, ldb int, c *float32, ldc int, alpha float32)
TEXT ·sgemm4x16(SB), NOSPLIT, $0-68
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R8
	SHLQ $2, R8
	MOVQ ks+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R12

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JE    store4x16

loop4x16:
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (SI)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (SI)(R8*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (SI)(R12*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         R9, SI
	ADDQ         R10, DI
	DECQ         CX
	JNE          loop4x16

store4x16:
	VBROADCASTSS alpha+64(FP), Y15
	VMOVUPS      (DX), Y8
	VMOVUPS      32(DX), Y9
	VFMADD231PS  Y0, Y15, Y8
	VFMADD231PS  Y1, Y15, Y9
	VMOVUPS      Y8, (DX)
	VMOVUPS      Y9, 32(DX)
	ADDQ         R11, DX
	VMOVUPS      (DX), Y8
	VMOVUPS      32(DX), Y9
	VFMADD231PS  Y2, Y15, Y8
	VFMADD231PS  Y3, Y15, Y9
	VMOVUPS      Y8, (DX)
	VMOVUPS      Y9, 32(DX)
	ADDQ         R11, DX
	VMOVUPS      (DX), Y8
	VMOVUPS      32(DX), Y9
	VFMADD231PS  Y4, Y15, Y8
	VFMADD231PS  Y5, Y15, Y9
	VMOVUPS      Y8, (DX)
	VMOVUPS      Y9, 32(DX)
	ADDQ         R11, DX
	VMOVUPS      (DX), Y8
	VMOVUPS      32(DX), Y9
	VFMADD231PS  Y6, Y15, Y8
	VFMADD231PS  Y7, Y15, Y9
	VMOVUPS      Y8, (DX)
	VMOVUPS      Y9, 32(DX)
	VZEROUPPER
	RET

// func sgemm4x8(k int, a *float32, rs, ks int, b *float32, ldb int, c *float32, ldc int, alpha float32)
TEXT ·sgemm4x8(SB), NOSPLIT, $0-68
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R8
	SHLQ $2, R8
	MOVQ ks+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R12

	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	TESTQ  CX, CX
	JE     store4x8

loop4x8:
	VMOVUPS      (DI), Y8
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VBROADCASTSS (SI)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VBROADCASTSS (SI)(R8*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VBROADCASTSS (SI)(R12*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	ADDQ         R9, SI
	ADDQ         R10, DI
	DECQ         CX
	JNE          loop4x8

store4x8:
	VBROADCASTSS alpha+64(FP), Y15
	VMOVUPS      (DX), Y8
	VFMADD231PS  Y0, Y15, Y8
	VMOVUPS      Y8, (DX)
	ADDQ         R11, DX
	VMOVUPS      (DX), Y8
	VFMADD231PS  Y2, Y15, Y8
	VMOVUPS      Y8, (DX)
	ADDQ         R11, DX
	VMOVUPS      (DX), Y8
	VFMADD231PS  Y4, Y15, Y8
	VMOVUPS      Y8, (DX)
	ADDQ         R11, DX
	VMOVUPS      (DX), Y8
	VFMADD231PS  Y6, Y15, Y8
	VMOVUPS      Y8, (DX)
	VZEROUPPER
	RET

// func sgemm1x16(k int, a *float32, ks int, b *float32, ldb int, c *float32, alpha float32)
TEXT ·sgemm1x16(SB), NOSPLIT, $0-52
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ks+16(FP), R9
	SHLQ $2, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $2, R10
	MOVQ c+40(FP), DX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	TESTQ  CX, CX
	JE     store1x16

loop1x16:
	VBROADCASTSS (SI), Y10
	VFMADD231PS  (DI), Y10, Y0
	VFMADD231PS  32(DI), Y10, Y1
	ADDQ         R9, SI
	ADDQ         R10, DI
	DECQ         CX
	JNE          loop1x16

store1x16:
	VBROADCASTSS alpha+48(FP), Y15
	VMOVUPS      (DX), Y8
	VMOVUPS      32(DX), Y9
	VFMADD231PS  Y0, Y15, Y8
	VFMADD231PS  Y1, Y15, Y9
	VMOVUPS      Y8, (DX)
	VMOVUPS      Y9, 32(DX)
	VZEROUPPER
	RET

// func sgemm1x8(k int, a *float32, ks int, b *float32, ldb int, c *float32, alpha float32)
TEXT ·sgemm1x8(SB), NOSPLIT, $0-52
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ks+16(FP), R9
	SHLQ $2, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $2, R10
	MOVQ c+40(FP), DX

	VXORPS Y0, Y0, Y0
	TESTQ  CX, CX
	JE     store1x8

loop1x8:
	VBROADCASTSS (SI), Y10
	VFMADD231PS  (DI), Y10, Y0
	ADDQ         R9, SI
	ADDQ         R10, DI
	DECQ         CX
	JNE          loop1x8

store1x8:
	VBROADCASTSS alpha+48(FP), Y15
	VMOVUPS      (DX), Y8
	VFMADD231PS  Y0, Y15, Y8
	VMOVUPS      Y8, (DX)
	VZEROUPPER
	RET

// func cpuid(eax, ecx uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eax+0(FP), AX
	MOVL ecx+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv() (eax uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	RET
