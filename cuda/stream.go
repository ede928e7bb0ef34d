//go:build cuda

package cuda

import (
	"fmt"

	"gorgonia.org/cu"
)

// UseNewStream gives the device a non-blocking stream of its own in place of the
// context's default stream; launches, memsets and uploads are all queued on it (Alloc
// and CopyIn included), and downloads wait for it first. Call it before queuing work.
func (d *Device) UseNewStream() error {
	return d.do(func() error {
		s, err := cu.MakeStream(cu.NonBlocking)
		if err != nil {
			return fmt.Errorf("cuda: creating a stream: %w", err)
		}
		if d.stream != (cu.Stream{}) {
			d.stream.Synchronize()
			d.stream.Destroy()
		}
		d.stream = s
		return nil
	})
}

// Event marks a point in the device's stream, for timing. Destroy is safe to call twice.
type Event struct {
	d  *Device
	ev cu.Event
	ok bool
}

// NewEvent creates an event on d.
func (d *Device) NewEvent() (*Event, error) {
	e := &Event{d: d}
	err := d.do(func() error {
		ev, err := cu.MakeEvent(cu.DefaultEvent)
		if err != nil {
			return fmt.Errorf("cuda: creating an event: %w", err)
		}
		e.ev, e.ok = ev, true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Record enqueues the event on the device's stream.
func (e *Event) Record() error {
	return e.d.do(func() error { return e.ev.Record(e.d.stream) })
}

// Since waits for e and returns the milliseconds between start and e.
func (e *Event) Since(start *Event) (float64, error) {
	var ms float64
	err := e.d.do(func() error {
		if err := e.ev.Synchronize(); err != nil {
			return fmt.Errorf("cuda: waiting for an event: %w", err)
		}
		var err error
		ms, err = start.ev.Elapsed(e.ev)
		return err
	})
	return ms, err
}

// Destroy releases the event.
func (e *Event) Destroy() {
	if e == nil || !e.ok {
		return
	}
	e.ok = false
	e.d.do(func() error { return cu.DestroyEvent(&e.ev) })
}
