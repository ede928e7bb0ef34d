package bench

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"testing"
)

// large turns on the benchmarks whose single iteration costs seconds (the large-shape
// LSTM and GRU layers and the lstm-large/gru-large jobs), which the CI smoke run
// (-benchtime=1x) cannot afford: go test -run='^$' -bench=Large ./bench -large
var large = flag.Bool("large", false, "run the large-shape (B=64, T=256, F=256, H=256) "+
	"layer benchmarks, seconds per iteration")

func BenchmarkEpochCNN(b *testing.B)  { benchEpoch(b, "cnn") }
func BenchmarkEpochLSTM(b *testing.B) { benchEpoch(b, "lstm") }
func BenchmarkEpochGRU(b *testing.B)  { benchEpoch(b, "gru") }

// benchEpoch times Epoch.Run, the work of torch_epoch.py's job of the same name, after
// one untimed epoch.
func benchEpoch(b *testing.B, model string) {
	e, err := NewEpoch(model, 1)
	if err != nil {
		b.Fatal(err)
	}
	e.Run()
	b.ReportAllocs()
	for b.Loop() {
		e.Run()
	}
	reportGFLOPs(b, EpochFLOPs(model))
}

// BenchmarkLargeJob times Large.Run, the work of torch_epoch.py's lstm-large and
// gru-large jobs; it needs -large.
func BenchmarkLargeJob(b *testing.B) {
	for _, kind := range []string{"lstm", "gru"} {
		b.Run(kind, func(b *testing.B) {
			skipUnlessLarge(b)
			lg, err := NewLarge(kind, 1)
			if err != nil {
				b.Fatal(err)
			}
			fwd, bwd := LargeFLOPs(kind)
			b.ReportAllocs()
			for b.Loop() {
				lg.Run()
			}
			reportGFLOPs(b, fwd+bwd)
		})
	}
}

// TestStepAllocs checks that a training step, after the first, and a validation pass
// allocate nothing.
func TestStepAllocs(t *testing.T) {
	for _, model := range []string{"cnn", "lstm", "gru"} {
		e, err := NewEpoch(model, 1)
		if err != nil {
			t.Fatal(err)
		}
		e.Step(0)
		if n := testing.AllocsPerRun(5, func() { e.Step(1) }); n != 0 {
			t.Errorf("%s: %g allocations per training step, want 0", model, n)
		}
		if n := testing.AllocsPerRun(2, func() { e.Validate() }); n != 0 {
			t.Errorf("%s: %g allocations per validation pass, want 0", model, n)
		}
	}
}

// TestLosses checks that an epoch trains: the losses are finite and positive and the
// training loss of a second epoch is below the first's.
func TestLosses(t *testing.T) {
	if testing.Short() {
		t.Skip("two epochs of each model take seconds")
	}
	for _, model := range []string{"cnn", "lstm", "gru"} {
		e, err := NewEpoch(model, 1)
		if err != nil {
			t.Fatal(err)
		}
		l1, v1 := e.Run()
		l2, v2 := e.Run()
		for _, l := range []float64{l1, v1, l2, v2} {
			if !(l > 0 && l < 10) {
				t.Fatalf("%s: losses %g %g, %g %g: want finite and positive", model,
					l1, v1, l2, v2)
			}
		}
		if l2 >= l1 {
			t.Errorf("%s: training loss %g then %g: want it to fall", model, l1, l2)
		}
	}
}

// BenchmarkPeakRSS runs epochs of each tutorial model and reports the process's peak
// resident set (VmHWM) after them, and how much it grew from the end of the first
// epoch to the end of the last, which should be 0: every buffer is sized once. Before
// the first epoch it resets the peak to the current resident set (writing 5 to
// /proc/self/clear_refs) so that earlier benchmarks do not show; where that is refused,
// peak-MB includes them and growth-MB still measures this benchmark's epochs.
func BenchmarkPeakRSS(b *testing.B) {
	for _, model := range []string{"cnn", "lstm", "gru"} {
		b.Run(model, func(b *testing.B) {
			e, err := NewEpoch(model, 1)
			if err != nil {
				b.Fatal(err)
			}
			resetPeakRSS()
			e.Run()
			first, err := peakRSS()
			if err != nil {
				b.Skip(err)
			}
			for b.Loop() {
				e.Run()
			}
			last, err := peakRSS()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(last)/(1<<20), "peak-MB")
			b.ReportMetric(float64(last-first)/(1<<20), "growth-MB")
		})
	}
}

// peakRSS returns VmHWM, the process's peak resident set, in bytes.
func peakRSS() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("peak RSS needs Linux's /proc: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 3 && string(f[0]) == "VmHWM:" && string(f[2]) == "kB" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM line in /proc/self/status")
}

// resetPeakRSS returns freed memory to the OS, so that earlier benchmarks' buffers leave
// the resident set, and asks Linux to reset VmHWM to the current resident set; the reset
// does nothing where it is not allowed.
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// reportGFLOPs reports flops per iteration as GFLOP/s.
func reportGFLOPs(b *testing.B, flops float64) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(flops*float64(b.N)/s/1e9, "GFLOP/s")
	}
}

func skipUnlessLarge(b *testing.B) {
	if !*large {
		b.Skip("large shape: seconds per iteration; run with -large")
	}
}

// TestParamCount checks flops.go's parameter counts, which AdamFLOPs uses, against the
// models nn builds.
func TestParamCount(t *testing.T) {
	for _, model := range []string{"cnn", "lstm", "gru"} {
		e, err := NewEpoch(model, 1)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, w := range e.ws {
			n += len(w)
		}
		if n != paramCount(model) {
			t.Errorf("%s: the model has %d parameters, paramCount says %d", model, n,
				paramCount(model))
		}
	}
}
