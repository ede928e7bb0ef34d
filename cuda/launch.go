//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"unsafe"

	"gorgonia.org/cu"
)

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

// launch queues kernel name on the device's stream. gorgonia.org/cu copies each
// argument as 8 bytes, so every argument travels in a uint64 slot: integers sign-extended,
// float32 in the low 32 bits; the kernel reads the low bytes it declares (little-endian).
func (d *Device) launch(name string, c cfg, args ...any) error {
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
		case cu.DevicePtr:
			slots[i] = uint64(v)
		default:
			panic(fmt.Sprintf("cuda: launch %s: argument %d has type %T", name, i, a))
		}
	}
	params := make([]unsafe.Pointer, len(slots))
	for i := range slots {
		params[i] = unsafe.Pointer(&slots[i])
	}
	return d.do(func() error {
		fn, ok := d.fns[name]
		if !ok {
			return fmt.Errorf("cuda: kernel %s is not in the loaded PTX (run go generate)", name)
		}
		err := fn.Launch(c.gx, c.gy, 1, c.bx, c.by, 1, c.smem, d.stream, params)
		if err != nil {
			return fmt.Errorf("cuda: launching %s: %w", name, err)
		}
		return nil
	})
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
