//go:build cuda

package cuda

import (
	"fmt"
	"unsafe"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"gorgonia.org/cu"
)

// drv is a Device seen as core.Driver: memory, copies and launches through the CUDA
// driver API, each run on the device's worker thread.
type drv Device

var _ core.Driver = (*drv)(nil)

// driver is d as the launchers in package core take it.
func (d *Device) driver() core.Driver { return (*drv)(d) }

func (r *drv) dev() *Device { return (*Device)(r) }

// Alloc implements core.Driver. The memory is zeroed on the device's stream and waited
// for, so that it is zero for work on any stream (see UseNewStream).
func (r *drv) Alloc(bytes int64) (uint64, error) {
	d := r.dev()
	var p cu.DevicePtr
	err := d.do(func() error {
		var err error
		if p, err = cu.MemAlloc(bytes); err != nil {
			return fmt.Errorf("cuda: allocating %d bytes: %w", bytes, err)
		}
		err = cu.MemsetD8Async(p, 0, bytes, d.stream)
		if err == nil {
			err = d.stream.Synchronize()
		}
		if err != nil {
			cu.MemFree(p)
			p = 0
			return fmt.Errorf("cuda: zeroing %d bytes: %w", bytes, err)
		}
		return nil
	})
	return uint64(p), err
}

// Scratch implements core.Driver: core.ScratchBytes of device memory, allocated on first
// use and freed with the context, held by one caller at a time (d.held, locked outside
// the worker so that the holder's launches still run).
func (r *drv) Scratch() (uint64, func(), error) {
	d := r.dev()
	var p cu.DevicePtr
	d.held.Lock()
	err := d.do(func() error {
		if d.scratch == 0 {
			s, err := cu.MemAlloc(core.ScratchBytes)
			if err != nil {
				return fmt.Errorf("cuda: allocating the %d-byte workspace: %w", core.ScratchBytes, err)
			}
			d.scratch = s
		}
		p = d.scratch
		return nil
	})
	if err != nil {
		d.held.Unlock()
		return 0, nil, err
	}
	return uint64(p), d.held.Unlock, nil
}

func (r *drv) Free(p uint64) {
	r.dev().do(func() error { return cu.MemFree(cu.DevicePtr(p)) }) // an error here means the context is gone
}

func (r *drv) Zero(p uint64, bytes int64) error {
	d := r.dev()
	return d.do(func() error { return cu.MemsetD8Async(cu.DevicePtr(p), 0, bytes, d.stream) })
}

func (r *drv) CopyIn(p uint64, src unsafe.Pointer, bytes int64) error {
	d := r.dev()
	return d.do(func() error {
		if err := d.stream.Synchronize(); err != nil {
			return fmt.Errorf("cuda: before upload: %w", err)
		}
		// On the device's stream, so that later launches on it are ordered after the copy
		// also when that stream is a non-blocking one (UseNewStream): a plain MemcpyHtoD
		// from pageable memory goes through the legacy default stream and may still be
		// in flight when it returns. From pageable memory the call returns once src has
		// been staged, so the caller may reuse src.
		if err := cu.MemcpyHtoDAsync(cu.DevicePtr(p), src, bytes, d.stream); err != nil {
			return fmt.Errorf("cuda: upload of %d bytes: %w", bytes, err)
		}
		return nil
	})
}

func (r *drv) CopyOut(dst unsafe.Pointer, p uint64, bytes int64) error {
	d := r.dev()
	return d.do(func() error {
		if err := d.stream.Synchronize(); err != nil {
			return fmt.Errorf("cuda: before download: %w", err)
		}
		if err := cu.MemcpyDtoH(dst, cu.DevicePtr(p), bytes); err != nil {
			return fmt.Errorf("cuda: download of %d bytes: %w", bytes, err)
		}
		return nil
	})
}

// Props implements core.Driver with the figures queried at Open.
func (r *drv) Props() core.Props { return r.dev().props }

// Launch passes each 8-byte slot by address, as cuLaunchKernel takes its parameters; the
// kernel reads the low bytes it declares (little-endian). A launch with more than 48 KiB
// of dynamic shared memory first opts its kernel in (optin.go), once per kernel.
func (r *drv) Launch(name string, gx, gy, bx, by, smem int, args []uint64) error {
	d := r.dev()
	params := make([]unsafe.Pointer, len(args))
	for i := range args {
		params[i] = unsafe.Pointer(&args[i])
	}
	return d.do(func() error {
		fn, ok := d.fns[name]
		if !ok {
			return fmt.Errorf("cuda: kernel %s is not in the loaded PTX (run go generate)", name)
		}
		if smem > d.props.MaxShared {
			return fmt.Errorf("cuda: launching %s with %d bytes of dynamic shared memory: "+
				"%s allows at most %d a block", name, smem, d.name, d.props.MaxShared)
		}
		if smem > core.DefaultShared {
			if err := d.optIn(name, fn, smem); err != nil {
				return err
			}
		}
		if err := fn.Launch(gx, gy, 1, bx, by, 1, smem, d.stream, params); err != nil {
			return fmt.Errorf("cuda: launching %s: %w", name, err)
		}
		return nil
	})
}
