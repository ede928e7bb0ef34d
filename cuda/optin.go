//go:build cuda

package cuda

// Opting a kernel in to more than 48 KiB of dynamic shared memory.
//
// A block may use up to 48 KiB of dynamic shared memory unless its kernel was first
// allowed more with cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES),
// up to the device's CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN (227 KiB on
// sm_90) less the kernel's static shared memory. gorgonia.org/cu v0.9.6 wraps neither
// the call nor the attribute, and keeps the CUfunction handle in an unexported field:
//
//	type Function struct{ fn C.CUfunction }
//
// rawFunction reads that field through unsafe, which holds only for that layout. Two
// checks guard it: the size assertion below fails to compile if cu.Function stops being
// one pointer, and functionLayout (run once, at init) checks that its only field is a
// pointer to cuda.h's struct CUfunc_st. On every opt-in the handle is also checked
// against cu's own wrapper (the register count of the same function, read both ways)
// before it is used. Revisit this file when gorgonia.org/cu is upgraded; a release that
// wraps cuFuncSetAttribute makes it unnecessary.

/*
#cgo LDFLAGS: -lcuda
#cgo linux LDFLAGS: -L/usr/local/cuda/lib64
#cgo linux CFLAGS: -I/usr/local/cuda/include
#include <cuda.h>
*/
import "C"

import (
	"fmt"
	"reflect"
	"unsafe"

	"gorgonia.org/cu"
)

// attrMaxSharedOptin is CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN (97), which
// cu v0.9.6 does not name.
const attrMaxSharedOptin = cu.DeviceAttribute(C.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)

// cu.Function must be exactly one pointer wide: either array length is negative, and the
// package does not compile, when it is not.
var (
	_ [unsafe.Sizeof(cu.Function{}) - unsafe.Sizeof(uintptr(0))]struct{}
	_ [unsafe.Sizeof(uintptr(0)) - unsafe.Sizeof(cu.Function{})]struct{}
)

// layoutErr is nil when cu.Function has the layout rawFunction assumes.
var layoutErr = functionLayout()

// functionLayout checks that cu.Function's only field is a C.CUfunction, a pointer to
// cgo's struct CUfunc_st, as in gorgonia.org/cu v0.9.6.
func functionLayout() error {
	t := reflect.TypeFor[cu.Function]()
	want := reflect.TypeFor[C.CUfunction]()
	if t.NumField() != 1 {
		return fmt.Errorf("cuda: gorgonia.org/cu's Function has %d fields, not the one "+
			"CUfunction of v0.9.6; update cuda/optin.go", t.NumField())
	}
	f := t.Field(0)
	if f.Offset != 0 || f.Type.Kind() != reflect.Pointer || f.Type.Size() != want.Size() ||
		f.Type.Elem().Name() != want.Elem().Name() {
		return fmt.Errorf("cuda: gorgonia.org/cu's Function holds %s %s, not the CUfunction "+
			"of v0.9.6; update cuda/optin.go", f.Name, f.Type)
	}
	return nil
}

// rawFunction is the CUfunction handle inside fn (see the layout checks above).
func rawFunction(fn cu.Function) C.CUfunction {
	return *(*C.CUfunction)(unsafe.Pointer(&fn))
}

// optIn allows kernel name (fn) smem bytes of dynamic shared memory a block, above the
// default 48 KiB. It must run on the worker thread, with the context current. It records
// what each kernel was allowed in d.optin, so a kernel is set again only when a launch
// asks for more than before: in practice once, since a layer's launch shapes are fixed.
func (d *Device) optIn(name string, fn cu.Function, smem int) error {
	if smem <= d.optin[name] {
		return nil
	}
	if layoutErr != nil {
		return fmt.Errorf("cuda: cannot allow %s %d bytes of shared memory: %w", name, smem,
			layoutErr)
	}
	h := rawFunction(fn)

	// The handle must be the one cu launches: read the same attribute through both.
	var regs C.int
	r := C.cuFuncGetAttribute(&regs, C.CU_FUNC_ATTRIBUTE_NUM_REGS, h)
	want, err := fn.Attribute(cu.NumRegs)
	if r != C.CUDA_SUCCESS || err != nil || int(regs) != want {
		return fmt.Errorf("cuda: cannot allow %s %d bytes of shared memory: the CUfunction "+
			"read from gorgonia.org/cu's Function does not match it (CUresult %d, cu: %v, "+
			"registers %d vs %d); update cuda/optin.go", name, smem, int(r), err, int(regs),
			want)
	}

	r = C.cuFuncSetAttribute(h, C.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, C.int(smem))
	if r != C.CUDA_SUCCESS {
		static, _ := fn.Attribute(cu.SharedSizeBytes)
		return fmt.Errorf("cuda: allowing %s %d bytes of dynamic shared memory on %s failed "+
			"(CUresult %d; the device allows %d a block after opting in, %d of them taken "+
			"by the kernel's static shared memory)", name, smem, d.name, int(r),
			d.props.MaxShared, static)
	}
	d.optin[name] = smem
	return nil
}
