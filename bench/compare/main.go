// Command compare times seqnn and PyTorch side by side on the same work: one training
// epoch of each tutorial model (bench.Epoch) and one forward+backward of a large LSTM and
// GRU (bench.Large), against bench/torch_epoch.py.
//
//	go run ./bench/compare --threads 2 --rounds 5 --jobs lstm,gru,cnn,lstm-large,gru-large
//
// It starts torch_epoch.py once, runs every job once on each side to warm up, then per
// job alternates seqnn (in this process, GOMAXPROCS = --threads) and PyTorch
// (torch.set_num_threads(--threads)) --rounds times, A B A B, so that a change in the
// machine's load falls on both. Each side times its own job in-process; the table gives
// the medians and their ratio, PyTorch/seqnn, which is above 1 when seqnn is faster, and
// the ratio of the fastest rounds, which a busy machine disturbs less; the raw times
// follow the table.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seqnn/seqnn/bench"
)

// targets are the goals for PyTorch/seqnn per job.
var targets = map[string]float64{
	"lstm": 5, "gru": 5, "cnn": 3, "lstm-large": 1, "gru-large": 1,
}

func main() {
	threads := flag.Int("threads", 2, "threads for both sides: GOMAXPROCS and torch.set_num_threads")
	rounds := flag.Int("rounds", 5, "timed runs per job and side, alternating")
	jobs := flag.String("jobs", strings.Join(bench.Jobs, ","), "comma-separated jobs to time")
	python := flag.String("python", "/usr/bin/python3", "Python with torch")
	script := flag.String("script", "", "path of torch_epoch.py (default: found beside this "+
		"command's source or under ./bench)")
	seed := flag.Uint64("seed", 1, "seed of seqnn's weights and data")
	flag.Parse()

	if err := run(*threads, *rounds, *jobs, *python, *script, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(threads, rounds int, jobList, python, script string, seed uint64) error {
	if threads < 1 || rounds < 1 {
		return fmt.Errorf("--threads %d, --rounds %d: both must be at least 1", threads, rounds)
	}
	names := strings.Split(jobList, ",")
	for _, n := range names {
		if !slices.Contains(bench.Jobs, n) {
			return fmt.Errorf("unknown job %q in --jobs (want some of %s)", n,
				strings.Join(bench.Jobs, ","))
		}
	}
	if script == "" {
		script = findScript()
	}
	runtime.GOMAXPROCS(threads)

	ours := make(map[string]func(), len(names))
	for _, n := range names {
		job, err := bench.NewJob(n, seed)
		if err != nil {
			return err
		}
		ours[n] = job
	}

	torch, err := startTorch(python, script, threads)
	if err != nil {
		return err
	}
	defer torch.close()

	loadStart := loadAvg()
	fmt.Fprintf(os.Stderr, "warming up %s on both sides\n", strings.Join(names, ", "))
	for _, n := range names {
		ours[n]()
		if err := torch.warm(n); err != nil {
			return err
		}
	}

	times := make(map[string][2][]float64, len(names)) // job → seqnn, PyTorch seconds
	for _, n := range names {
		var t [2][]float64
		for r := range rounds {
			start := time.Now()
			ours[n]()
			t[0] = append(t[0], time.Since(start).Seconds())
			s, err := torch.time(n)
			if err != nil {
				return err
			}
			t[1] = append(t[1], s)
			fmt.Fprintf(os.Stderr, "%-10s round %d/%d: seqnn %.4f s, PyTorch %.4f s\n",
				n, r+1, rounds, t[0][r], s)
		}
		times[n] = t
	}

	printReport(os.Stdout, names, times, threads, rounds, torch.version, loadStart)
	return nil
}

// printReport writes the machine, the command and the table of medians.
func printReport(w io.Writer, names []string, times map[string][2][]float64,
	threads, rounds int, torchVersion, loadStart string) {
	fmt.Fprintf(w, "machine: %s, %d logical CPUs, GOMAXPROCS %d; %s, torch %s "+
		"(set_num_threads %d)\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0),
		runtime.Version(), torchVersion, threads)
	fmt.Fprintf(w, "load average (1, 5, 15 min): %s at start, %s at end\n", loadStart, loadAvg())
	fmt.Fprintf(w, "command: go run ./bench/compare %s\n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(w, "%d alternating rounds per job after one warm-up run per side\n\n", rounds)

	fmt.Fprintln(w, "| job | seqnn median s | PyTorch median s | ratio (PyTorch/seqnn) "+
		"| target | met | ratio of minima |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|---:|")
	for _, n := range names {
		t := times[n]
		ours, theirs := median(t[0]), median(t[1])
		ratio := theirs / ours
		met := "no"
		if ratio >= targets[n] {
			met = "yes"
		}
		fmt.Fprintf(w, "| %s | %.4f | %.4f | %.2f | ≥ %g | %s | %.2f |\n", n, ours, theirs,
			ratio, targets[n], met, slices.Min(t[1])/slices.Min(t[0]))
	}
	fmt.Fprintln(w)
	for _, n := range names {
		t := times[n]
		fmt.Fprintf(w, "%s: seqnn %s; PyTorch %s\n", n, seconds(t[0]), seconds(t[1]))
	}
}

// torchProc is a running torch_epoch.py: one line in, one line out per job.
type torchProc struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	version string
}

func startTorch(python, script string, threads int) (*torchProc, error) {
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("torch_epoch.py: %w (pass --script, or run from the "+
			"repository root)", err)
	}
	cmd := exec.Command(python, script, "--threads", strconv.Itoa(threads))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s %s: %w (is PyTorch installed? "+
			"pass --python)", python, script, err)
	}
	p := &torchProc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	line, err := p.line()
	if err != nil {
		p.close()
		return nil, fmt.Errorf("waiting for torch_epoch.py to start: %w", err)
	}
	// "ready torch VERSION threads N"
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "ready" {
		p.close()
		return nil, fmt.Errorf("torch_epoch.py said %q, want \"ready torch ...\"", line)
	}
	p.version = f[2]
	return p, nil
}

// warm runs a job once, untimed.
func (p *torchProc) warm(job string) error {
	line, err := p.ask("warm " + job)
	if err == nil && line != "ok" {
		err = fmt.Errorf("torch_epoch.py answered %q to warm %s, want ok", line, job)
	}
	return err
}

// time runs a job and returns the seconds torch_epoch.py measured.
func (p *torchProc) time(job string) (float64, error) {
	line, err := p.ask(job)
	if err != nil {
		return 0, err
	}
	s, err := strconv.ParseFloat(line, 64)
	if err != nil {
		return 0, fmt.Errorf("torch_epoch.py answered %q to %s: %w", line, job, err)
	}
	return s, nil
}

func (p *torchProc) ask(req string) (string, error) {
	if _, err := fmt.Fprintln(p.in, req); err != nil {
		return "", fmt.Errorf("sending %q to torch_epoch.py: %w", req, err)
	}
	line, err := p.line()
	if err != nil {
		return "", fmt.Errorf("torch_epoch.py on %q: %w", req, err)
	}
	return line, nil
}

func (p *torchProc) line() (string, error) {
	if p.out.Scan() {
		return strings.TrimSpace(p.out.Text()), nil
	}
	if err := p.out.Err(); err != nil {
		return "", err
	}
	return "", errors.New("it exited (its error is above)")
}

// close ends the script by closing its input and waits for it.
func (p *torchProc) close() {
	p.in.Close()
	p.cmd.Wait()
}

// findScript looks for torch_epoch.py beside this command's source (go run keeps the
// path) and then under ./bench.
func findScript() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		s := filepath.Join(filepath.Dir(file), "..", "torch_epoch.py")
		if _, err := os.Stat(s); err == nil {
			return s
		}
	}
	return filepath.Join("bench", "torch_epoch.py")
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAvg is the first three fields of /proc/loadavg, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// seconds formats a list of times for the raw-times lines under the table.
func seconds(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', 4, 64)
	}
	return strings.Join(s, " ")
}
