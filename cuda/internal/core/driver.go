//go:build cuda

package core

import (
	"fmt"
	"math"
	"unsafe"
)

// Driver is what the launchers need from a device. Addresses are device pointers as
// uint64; work is queued in order on one stream. Package cuda implements it with the
// CUDA driver API, package emu with host memory and the kernels compiled as C++.
type Driver interface {
	// Alloc returns bytes of zeroed device memory.
	Alloc(bytes int64) (uint64, error)
	// Free releases memory from Alloc; errors (a closed device) are ignored.
	Free(p uint64)
	// Zero queues setting bytes at p to zero.
	Zero(p uint64, bytes int64) error
	// CopyIn waits for queued work, then copies bytes from host src to p.
	CopyIn(p uint64, src unsafe.Pointer, bytes int64) error
	// CopyOut waits for queued work, then copies bytes from p to host dst; a fault in
	// that work is returned here.
	CopyOut(dst unsafe.Pointer, p uint64, bytes int64) error
	// Launch queues the kernel entry point name on a gx×gy grid of bx×by blocks with
	// smem bytes of dynamic shared memory, up to Props().MaxShared; above DefaultShared
	// the driver opts the kernel in first. Each argument travels in an 8-byte slot:
	// integers sign-extended, float32 in the low 32 bits (little-endian).
	Launch(name string, gx, gy, bx, by, smem int, args []uint64) error
	// Props reports the device's figures that launch shapes depend on; they are fixed
	// when the driver opens and cost nothing to read.
	Props() Props
	// Scratch returns the address of the driver's workspace of ScratchBytes, allocated
	// on first use and freed with the driver, and holds it for the caller until release
	// is called (another goroutine's Scratch waits until then). A launcher queues the
	// launch that fills it and the one that reads it, then releases it: the stream runs
	// launches in order, so the next holder's work runs after the last reader. Nothing
	// lives there across calls. On error the workspace is not held.
	Scratch() (ws uint64, release func(), err error)
}

// ScratchBytes is the size of a driver's workspace: room for the partial sums of a
// matrix product split along k (gemm.go), 8 MiB.
const ScratchBytes = 8 << 20

// Props are the figures of a device that the launchers size their launches by.
type Props struct {
	SMs       int // streaming multiprocessors (132 on an H100/H200 SXM)
	MaxShared int // dynamic shared memory in bytes one block may use after opting in
}

// DefaultShared is the dynamic shared memory a block may use without opting in with
// cuFuncSetAttribute, on every GPU since compute capability 3.0; a device that cannot opt
// in reports it as its MaxShared.
const DefaultShared = 48 << 10

// cfg is a launch shape: a 1-D or 2-D grid of blocks and dynamic shared memory in bytes.
type cfg struct {
	gx, gy, bx, by, smem int
}

// linear covers n elements with 256-thread blocks, at most 4096 of them; kernels loop
// with a grid stride over what remains.
func linear(n int) cfg {
	g := min((n+255)/256, 4096)
	return cfg{gx: max(g, 1), gy: 1, bx: 256, by: 1}
}

// launch packs args into 8-byte slots and queues kernel name on d.
func launch(d Driver, name string, c cfg, args ...any) error {
	slots := make([]uint64, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case int:
			slots[i] = uint64(int64(v))
		case bool:
			if v {
				slots[i] = 1
			}
		case uint64:
			slots[i] = v
		case uint32:
			slots[i] = uint64(v)
		case float32:
			slots[i] = uint64(math.Float32bits(v))
		case float64:
			slots[i] = math.Float64bits(v)
		default:
			panic(fmt.Sprintf("cuda: launch %s: argument %d has type %T", name, i, a))
		}
	}
	return d.Launch(name, c.gx, c.gy, c.bx, c.by, c.smem, slots)
}

// need panics unless a buffer holds at least n elements: the caller passed the wrong
// buffer or sizes.
func need[T Float](op, what string, b *Buffer[T], n int) {
	if b == nil || b.ptr == 0 {
		panic(fmt.Sprintf("cuda: %s: %s is nil or freed", op, what))
	}
	if b.n < n {
		panic(fmt.Sprintf("cuda: %s: %s holds %d elements, need %d", op, what, b.n, n))
	}
}

func positive(op string, dims ...int) {
	for _, v := range dims {
		if v <= 0 {
			panic(fmt.Sprintf("cuda: %s: sizes %v must be positive", op, dims))
		}
	}
}
