//go:build cuda

package core

import (
	"fmt"
	"unsafe"

	"github.com/seqnn/seqnn/kernels"
)

// Float is the element type of a buffer: float32 to train, float64 for checks.
type Float = kernels.Float

// Buffer is n elements of T in device memory. It has one owner; Free releases it and is
// safe to call twice. A Buffer must not outlive its Driver. A view (sub, view) shares its
// parent's memory and must never be freed.
type Buffer[T Float] struct {
	d   Driver
	ptr uint64
	n   int
}

// NewBuffer allocates n elements on d, zeroed.
func NewBuffer[T Float](d Driver, n int) (*Buffer[T], error) {
	if n <= 0 {
		panic(fmt.Sprintf("cuda: NewBuffer: length %d must be positive", n))
	}
	p, err := d.Alloc(int64(n) * sizeOf[T]())
	if err != nil {
		return nil, err
	}
	return &Buffer[T]{d: d, ptr: p, n: n}, nil
}

// Upload allocates a buffer holding a copy of src.
func Upload[T Float](d Driver, src []T) (*Buffer[T], error) {
	b, err := NewBuffer[T](d, len(src))
	if err != nil {
		return nil, err
	}
	if err := b.CopyIn(src); err != nil {
		b.Free()
		return nil, err
	}
	return b, nil
}

// Len is the number of elements.
func (b *Buffer[T]) Len() int { return b.n }

// Free releases the memory. Calling it again, or after the device closed, does nothing.
func (b *Buffer[T]) Free() {
	if b == nil || b.ptr == 0 {
		return
	}
	p := b.ptr
	b.ptr = 0
	b.d.Free(p)
}

// CopyIn copies src into the first len(src) elements, after queued work finishes.
func (b *Buffer[T]) CopyIn(src []T) error {
	b.check("CopyIn", len(src))
	if len(src) == 0 {
		return nil
	}
	return b.d.CopyIn(b.ptr, unsafe.Pointer(&src[0]), int64(len(src))*sizeOf[T]())
}

// CopyOut copies the first len(dst) elements into dst, after queued work finishes; a
// fault in that work is returned here.
func (b *Buffer[T]) CopyOut(dst []T) error {
	b.check("CopyOut", len(dst))
	if len(dst) == 0 {
		return nil
	}
	return b.d.CopyOut(unsafe.Pointer(&dst[0]), b.ptr, int64(len(dst))*sizeOf[T]())
}

// Zero sets every element to 0 (both float types are all-zero bits), queued on the stream.
func (b *Buffer[T]) Zero() error {
	b.check("Zero", 0)
	return b.d.Zero(b.ptr, int64(b.n)*sizeOf[T]())
}

func (b *Buffer[T]) check(op string, n int) {
	if b.ptr == 0 {
		panic("cuda: " + op + " on a freed buffer")
	}
	if n > b.n {
		panic(fmt.Sprintf("cuda: %s: %d elements do not fit a buffer of %d", op, n, b.n))
	}
}

// at is the device address of element i.
func (b *Buffer[T]) at(i int) uint64 { return b.ptr + uint64(int64(i)*sizeOf[T]()) }

// view is elements [off, off+n) of b, sharing its memory: never Free it.
func view[T Float](b *Buffer[T], off, n int) *Buffer[T] {
	need("view", "buffer", b, off+n)
	return &Buffer[T]{d: b.d, ptr: b.at(off), n: n}
}

func sizeOf[T Float]() int64 {
	var z T
	return int64(unsafe.Sizeof(z))
}

// suffix names the entry point for T: gemm_f32 or gemm_f64.
func suffix[T Float]() string {
	var z T
	if _, ok := any(z).(float32); ok {
		return "_f32"
	}
	return "_f64"
}
