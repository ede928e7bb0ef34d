//go:build cuda

package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"github.com/seqnn/seqnn/kernels"
)

// TestFunctionLayout: gorgonia.org/cu's Function is the one CUfunction optin.go reads,
// and Open found the device's figures.
func TestFunctionLayout(t *testing.T) {
	if layoutErr != nil {
		t.Fatal(layoutErr)
	}
	t.Logf("%s: %d multiprocessors, %d bytes of shared memory a block after opting in",
		dev.Name(), dev.SMs(), dev.MaxShared())
	if dev.SMs() <= 0 || dev.MaxShared() < core.DefaultShared {
		t.Errorf("SMs %d, MaxShared %d", dev.SMs(), dev.MaxShared())
	}
}

// TestOptIn: at H 70 the persistent time loops need more than 48 KiB in every type
// (LSTM backward 80080 bytes in float32, 160160 in float64), so LoopAuto runs them
// persistent only if Launch opted the kernels in; the results must match package ref.
func TestOptIn(t *testing.T) {
	both(t, testOptIn[float32], testOptIn[float64])
}

func testOptIn[T Float](t *testing.T) {
	c := rnnCase{2, 5, 3, 70, kernels.HardSigmoid, LoopAuto}
	size := 8
	if isF32[T]() {
		size = 4
	}
	if need := (4*c.H*c.H + 6*c.H) * size; dev.MaxShared() < need {
		t.Skipf("%s allows %d bytes a block; the LSTM at H %d needs %d", dev.Name(),
			dev.MaxShared(), c.H, need)
	}
	sfx := fmt.Sprintf("_f%d", 8*size)
	rng := rand.New(rand.NewPCG(40, uint64(size)))

	t.Run("lstm", func(t *testing.T) {
		fwd, bwd := runLSTMCase[T](t, c, rng, c.B)
		if fwd != LoopPersistent || bwd != LoopPersistent {
			t.Errorf("loops forward %d, backward %d; want persistent (1)", fwd, bwd)
		}
		optedIn(t, "lstm_fwd"+sfx, "lstm_bwd"+sfx)
	})
	for _, resetAfter := range []bool{false, true} {
		t.Run(fmt.Sprint("gru/resetAfter=", resetAfter), func(t *testing.T) {
			if loop := runGRUCase[T](t, c, resetAfter, rng); loop != LoopPersistent {
				t.Errorf("loop %d; want persistent (1)", loop)
			}
			optedIn(t, "gru_fwd"+sfx, "gru_bwd"+sfx)
		})
	}
}

// optedIn checks that Launch allowed each kernel more than 48 KiB of shared memory.
func optedIn(t *testing.T, names ...string) {
	t.Helper()
	got := map[string]int{}
	check(t, dev.do(func() error {
		for _, k := range names {
			got[k] = dev.optin[k]
		}
		return nil
	}))
	for _, k := range names {
		if got[k] <= core.DefaultShared {
			t.Errorf("%s was allowed %d bytes of shared memory, want more than 48 KiB", k,
				got[k])
		}
	}
}
