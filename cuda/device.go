//go:build cuda

package cuda

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"runtime"
	"strings"
	"sync"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"gorgonia.org/cu"
)

//go:embed ptx/*.ptx
var ptxFS embed.FS

// ErrClosed is returned by every call on a Device after Close.
var ErrClosed = errors.New("cuda: device is closed")

// Device is one GPU with its own context, the loaded kernel modules and a stream. All
// driver calls run on one goroutine locked to an OS thread, which holds the context.
type Device struct {
	ordinal int
	name    string
	work    chan func()
	mu      sync.Mutex // guards closed
	closed  bool
	done    chan struct{}
	props   core.Props // set by the worker before Open returns, read-only after
	held    sync.Mutex // the workspace's holder, from drv.Scratch until its release

	// Owned by the worker goroutine.
	ctx     cu.CUContext
	mods    []cu.Module
	fns     map[string]cu.Function
	optin   map[string]int // dynamic shared memory each kernel was allowed above 48 KiB
	stream  cu.Stream      // the zero Stream is the context's default (null) stream
	scratch cu.DevicePtr   // the workspace of drv.Scratch, 0 until first asked for
}

// Open creates a context on GPU ordinal, loads every PTX module and resolves every
// kernel. It returns a wrapped error if there is no such device or the driver rejects a
// module (a driver older than the PTX ISA 7.8 of CUDA 11.8 does: update the driver, or
// regenerate the PTX with an older nvcc).
func Open(ordinal int) (*Device, error) {
	d := &Device{ordinal: ordinal, work: make(chan func()), done: make(chan struct{}),
		fns: map[string]cu.Function{}, optin: map[string]int{}}
	started := make(chan error)
	go d.loop(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return d, nil
}

// loop is the worker: it locks its OS thread, makes the context current on it, and
// then runs submitted functions until Close.
func (d *Device) loop(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	if err := d.init(); err != nil {
		d.teardown()
		started <- err
		return
	}
	started <- nil
	for f := range d.work {
		f()
	}
	d.teardown()
	close(d.done)
}

func (d *Device) init() error {
	n, err := cu.NumDevices()
	if err != nil {
		return fmt.Errorf("cuda: counting devices: %w", err)
	}
	if d.ordinal < 0 || d.ordinal >= n {
		return fmt.Errorf("cuda: no device %d (the driver reports %d)", d.ordinal, n)
	}
	dev, err := cu.GetDevice(d.ordinal)
	if err != nil {
		return fmt.Errorf("cuda: device %d: %w", d.ordinal, err)
	}
	if d.name, err = dev.Name(); err != nil {
		return fmt.Errorf("cuda: device %d name: %w", d.ordinal, err)
	}
	if d.props, err = queryProps(dev); err != nil {
		return fmt.Errorf("cuda: %s: %w", d.name, err)
	}
	if d.ctx, err = dev.MakeContext(cu.SchedAuto); err != nil {
		return fmt.Errorf("cuda: creating a context on %s: %w", d.name, err)
	}
	return d.loadModules()
}

// loadModules loads each embedded PTX file and resolves every .entry in it by name.
func (d *Device) loadModules() error {
	files, err := ptxFS.ReadDir("ptx")
	if err != nil {
		return fmt.Errorf("cuda: reading embedded PTX: %w", err)
	}
	for _, f := range files {
		name := path.Join("ptx", f.Name())
		src, err := ptxFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("cuda: reading %s: %w", name, err)
		}
		mod, err := cu.LoadData(string(src))
		if err != nil {
			return fmt.Errorf("cuda: loading %s on %s (driver too old for the PTX, or "+
				"stale PTX: run go generate ./cuda): %w", name, d.name, err)
		}
		d.mods = append(d.mods, mod)
		for _, entry := range ptxEntries(string(src)) {
			fn, err := mod.Function(entry)
			if err != nil {
				return fmt.Errorf("cuda: kernel %s in %s: %w", entry, name, err)
			}
			d.fns[entry] = fn
		}
	}
	return nil
}

// queryProps reads the figures the launchers size their launches by. A driver that does
// not know the opt-in attribute (older than CUDA 9) leaves MaxShared at 48 KiB.
func queryProps(dev cu.Device) (core.Props, error) {
	sms, err := dev.Attribute(cu.MultiprocessorCount)
	if err != nil {
		return core.Props{}, fmt.Errorf("multiprocessor count: %w", err)
	}
	p := core.Props{SMs: sms, MaxShared: core.DefaultShared}
	if optin, err := dev.Attribute(attrMaxSharedOptin); err == nil {
		p.MaxShared = max(optin, core.DefaultShared)
	}
	return p, nil
}

// ptxEntries lists the kernel names declared with ".entry NAME(" in a PTX file.
func ptxEntries(src string) []string {
	var names []string
	for _, line := range strings.Split(src, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), ".visible .entry ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, '('); i > 0 {
			names = append(names, rest[:i])
		}
	}
	return names
}

func (d *Device) teardown() {
	if d.scratch != 0 {
		cu.MemFree(d.scratch)
		d.scratch = 0
	}
	for _, m := range d.mods {
		m.Unload()
	}
	d.mods = nil
	if d.stream != (cu.Stream{}) {
		d.stream.Destroy()
	}
	if d.ctx != (cu.CUContext{}) {
		d.ctx.Destroy()
	}
}

// Name is the device's marketing name, e.g. "NVIDIA H200".
func (d *Device) Name() string { return d.name }

// SMs is the device's multiprocessor count (132 on an H100/H200 SXM).
func (d *Device) SMs() int { return d.props.SMs }

// MaxShared is the dynamic shared memory in bytes one block may use once its kernel opts
// in (227 KiB on an H100/H200), which Launch does for launches above 48 KiB.
func (d *Device) MaxShared() int { return d.props.MaxShared }

// do runs f on the worker thread and returns its error.
func (d *Device) do(f func() error) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	errc := make(chan error, 1)
	d.work <- func() { errc <- f() }
	d.mu.Unlock()
	return <-errc
}

// Sync waits for all work queued on the device's stream and returns the first
// asynchronous error (a kernel fault surfaces here).
func (d *Device) Sync() error {
	return d.do(func() error {
		if err := d.stream.Synchronize(); err != nil {
			return fmt.Errorf("cuda: synchronize: %w", err)
		}
		return nil
	})
}

// Close waits for queued work, frees the modules and the context, and stops the worker.
// Buffers still allocated are released with the context; Close is safe to call twice.
func (d *Device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	err := d.syncLocked()
	d.closed = true
	close(d.work)
	d.mu.Unlock()
	<-d.done
	return err
}

func (d *Device) syncLocked() error {
	errc := make(chan error, 1)
	d.work <- func() { errc <- d.stream.Synchronize() }
	return <-errc
}
