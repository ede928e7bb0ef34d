//go:build cuda

package emu

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned bx, unsigned by,
	unsigned shared, const unsigned long long* slots, int nargs);
unsigned emu_max_shared_optin(void);
static unsigned long long emu_alloc(size_t n) { return (uintptr_t)calloc(1, n); }
static void emu_free(unsigned long long p) { free((void*)(uintptr_t)p); }
static void emu_zero(unsigned long long p, size_t n) { memset((void*)(uintptr_t)p, 0, n); }
static void emu_copy_in(unsigned long long dst, const void* src, size_t n) {
	memcpy((void*)(uintptr_t)dst, src, n);
}
static void emu_copy_out(void* dst, unsigned long long src, size_t n) {
	memcpy(dst, (const void*)(uintptr_t)src, n);
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/seqnn/seqnn/cuda/internal/core"
)

// Driver runs the cuda package's launchers on the CPU: it implements core.Driver with
// host memory (calloc) standing in for device memory and every launch run at once, in
// order, through the emulated kernel of the same entry-point name. It refuses what a GPU
// would refuse at launch (unknown kernel, wrong argument count, over 1024 threads a
// block, more dynamic shared memory than an H200 block may opt in to: 227 KiB). It
// reports an H200's Props. One launch runs at a time.
type Driver struct {
	// SMs is the multiprocessor count Props reports: 132, an H200 SXM's, unless a test
	// sets another before the first launch to steer a launcher's choice of shape.
	SMs int

	mu       sync.Mutex
	launches map[string]int
	live     map[uint64]int64 // allocations not yet freed, by address
	scratch  uint64           // the workspace of Scratch, not counted in live
	held     sync.Mutex       // held from Scratch until its release
}

var _ core.Driver = (*Driver)(nil)

// NewDriver returns an empty emulated device.
func NewDriver() *Driver {
	return &Driver{SMs: 132, launches: map[string]int{}, live: map[uint64]int64{}}
}

// Alloc implements core.Driver.
func (d *Driver) Alloc(bytes int64) (uint64, error) {
	p := uint64(C.emu_alloc(C.size_t(bytes)))
	if p == 0 {
		return 0, fmt.Errorf("emu: allocating %d bytes failed", bytes)
	}
	d.mu.Lock()
	d.live[p] = bytes
	d.mu.Unlock()
	return p, nil
}

// Free implements core.Driver; a pointer it did not allocate is a bug and panics.
func (d *Driver) Free(p uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.live[p]; !ok {
		panic(fmt.Sprintf("emu: Free(%#x): not an allocation (a view, or freed twice)", p))
	}
	delete(d.live, p)
	C.emu_free(C.ulonglong(p))
}

// Zero implements core.Driver.
func (d *Driver) Zero(p uint64, bytes int64) error {
	C.emu_zero(C.ulonglong(p), C.size_t(bytes))
	return nil
}

// CopyIn implements core.Driver.
func (d *Driver) CopyIn(p uint64, src unsafe.Pointer, bytes int64) error {
	C.emu_copy_in(C.ulonglong(p), src, C.size_t(bytes))
	return nil
}

// CopyOut implements core.Driver.
func (d *Driver) CopyOut(dst unsafe.Pointer, p uint64, bytes int64) error {
	C.emu_copy_out(dst, C.ulonglong(p), C.size_t(bytes))
	return nil
}

// Launch implements core.Driver.
func (d *Driver) Launch(name string, gx, gy, bx, by, smem int, args []uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var slots *C.ulonglong
	if len(args) > 0 {
		slots = (*C.ulonglong)(unsafe.Pointer(&args[0]))
	}
	switch C.emu_launch(cname, C.uint(gx), C.uint(gy), C.uint(bx), C.uint(by), C.uint(smem),
		slots, C.int(len(args))) {
	case 1:
		return fmt.Errorf("emu: no kernel %s", name)
	case 2:
		return fmt.Errorf("emu: kernel %s: wrong number of arguments (%d)", name, len(args))
	case 3:
		return fmt.Errorf("emu: kernel %s: launch of %d×%d blocks of %d×%d threads with %d "+
			"bytes of shared memory is beyond what a GPU accepts", name, gx, gy, bx, by, smem)
	}
	d.launches[name]++
	return nil
}

// Props implements core.Driver with an H200's figures: d.SMs multiprocessors (132) and
// 227 KiB = 232448 bytes of opt-in shared memory a block, the limit Launch enforces.
func (d *Driver) Props() core.Props {
	return core.Props{SMs: d.SMs, MaxShared: int(C.emu_max_shared_optin())}
}

// Scratch implements core.Driver: core.ScratchBytes of host memory, allocated on first
// use and, like a GPU's workspace outliving its sessions, kept for the Driver's lifetime
// (calloc maps it lazily, so an untouched page costs nothing).
func (d *Driver) Scratch() (uint64, func(), error) {
	d.held.Lock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.scratch == 0 {
		d.scratch = uint64(C.emu_alloc(C.size_t(core.ScratchBytes)))
		if d.scratch == 0 {
			d.held.Unlock()
			return 0, nil, fmt.Errorf("emu: allocating the %d-byte workspace failed",
				core.ScratchBytes)
		}
	}
	return d.scratch, d.held.Unlock, nil
}

// Launches reports how many times each kernel ran.
func (d *Driver) Launches() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := make(map[string]int, len(d.launches))
	for k, v := range d.launches {
		m[k] = v
	}
	return m
}

// Live is the number of allocations not yet freed.
func (d *Driver) Live() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.live)
}
