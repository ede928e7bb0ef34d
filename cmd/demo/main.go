// Command demo runs the 2017 tutorial "Predicting Cryptocurrency Price With Tensorflow and
// Keras" with seqnn: it cuts Bitcoin closes into windows of 256 half-hours, trains the
// tutorial's CNN, LSTM and GRU to predict the next 16, and compares them with baselines.
//
//	demo run       prepare, train and evaluate
//	demo prepare   read the candles, cut and scale the windows: <out>/dataset.safetensors
//	demo train     train the models: <out>/<model>-log.csv, <out>/checkpoints/
//	demo evaluate  score the best checkpoints: <out>/results.md, <out>/*predictions.png
//	demo predict   run one model on a CSV of windows and print its predictions
//	demo sources   print the provenance note of the embedded candles
//	demo fetch     download candles from the Poloniex API into a CSV file
//
// Run "demo --help" or "demo COMMAND --help" for the flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		// From here on a second Ctrl-C kills the program at once.
		stop()
		if !finished.Load() {
			fmt.Fprintln(os.Stderr, interruptNote(training.Load(), writingNote()))
		}
	}()
	progName = invocation(os.Args[0])
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	finished.Store(true) // before stop, whose cancel would look like a Ctrl-C
	stop()
	os.Exit(code)
}

// finished is set once run has returned: ctx ends then without any signal.
var finished atomic.Bool

// training is true while train.Fit runs, the only time Ctrl-C saves a checkpoint.
var training atomic.Bool

// writes settles a race between the first Ctrl-C and the writing of evaluate (or
// prepare), so that it never leaves a mix of old and new outputs and the note of the
// Ctrl-C says what happens: the command claims it before its first write (claimWrites)
// and then writes every file; a Ctrl-C that claims it first (stopWrites) stops the
// command before it writes anything.
var writes atomic.Int32

// writing says what the command that claims writes writes, for the note of a Ctrl-C:
// "evaluate is writing results.md and the plots".
var writing atomic.Pointer[string]

const (
	writesOpen    = iota // neither has claimed it
	writesClaimed        // the command is writing, and finishes
	writesStopped        // Ctrl-C came first: the command writes nothing
)

// beginWrites says whether evaluate may write its outputs (claimWrites).
func beginWrites(ctx context.Context) bool {
	return claimWrites(ctx, "evaluate is writing results.md and the plots")
}

// claimWrites says whether the command may write its outputs: ctx is not cancelled and
// no Ctrl-C has claimed writes. Once it returns true, a Ctrl-C lets the writing finish,
// and its note says what is being written: what, "evaluate is writing results.md".
func claimWrites(ctx context.Context, what string) bool {
	writing.Store(&what) // before the claim, which makes it visible
	return ctx.Err() == nil && writes.CompareAndSwap(writesOpen, writesClaimed)
}

// stopWrites claims writes for a Ctrl-C, and says whether the command is kept from
// writing (false when it has begun).
func stopWrites() bool {
	writes.CompareAndSwap(writesOpen, writesStopped)
	return writes.Load() == writesStopped
}

// writingNote is stopWrites for the note of a Ctrl-C: what the command is writing, and
// finishes, or "" when the Ctrl-C keeps it from writing.
func writingNote() string {
	if stopWrites() {
		return ""
	}
	return *writing.Load()
}

// interruptNote is what the first Ctrl-C prints: while training, that the batch is
// finished and saved; while a command writes (writing says what), that it finishes
// writing; else that the command stops. Every file is written to a temporary file and
// renamed over the old one, so a second Ctrl-C never leaves a file half written; but it
// can leave some outputs new and others old, and temporary files that the next command
// writing there removes.
func interruptNote(training bool, writing string) string {
	switch {
	case training:
		return "\ninterrupt: finishing the current batch and saving a checkpoint (Ctrl-C " +
			"again to quit at once, without it)"
	case writing != "":
		return "\ninterrupt: " + writing + ", and finishes first (Ctrl-C again to quit " +
			"at once: each file is then the old one or the new one, whole, but some may " +
			"be old and others new)"
	}
	return "\ninterrupt: stopping (Ctrl-C again to quit at once)"
}

// Exit codes.
const (
	exitOK          = 0
	exitError       = 1   // bad input, a failed step
	exitUsage       = 2   // bad command line
	exitInterrupted = 130 // Ctrl-C: a checkpoint was saved, as the shell's 128+SIGINT
)

// shellQuote returns s as a shell word: as it is when it holds only characters that
// need no quoting, else in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"+
		"0123456789-_./,:=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// run is the whole command, with its streams passed in so tests can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	}
	cmd := findCommand(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "demo: unknown command %q (want run, prepare, train, evaluate, "+
			"predict, sources or fetch; see demo --help)\n", name)
		return exitUsage
	}

	writes.Store(writesOpen)
	o, fs := cmd.flags()
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, errHelp) {
			cmd.usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "demo %s: %v (see demo %s --help)\n", name, err, name)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "demo %s: unexpected argument %q (see demo %s --help)\n",
			name, fs.Arg(0), name)
		return exitUsage
	}
	if err := o.check(fs); err != nil {
		fmt.Fprintf(stderr, "demo %s: %v\n", name, err)
		return exitUsage
	}

	// predict's stdout is the predictions alone, for other programs to read.
	config := stdout
	if name == "predict" {
		config = stderr
	}
	if desc := o.describe(fs); desc != "" { // sources has no flags to report
		fmt.Fprintf(config, "demo %s: %s\n", name, desc)
	}
	if o.device != "" {
		devs, closeDevs, err := openDevices(o.device)
		if err != nil {
			fmt.Fprintf(stderr, "demo %s: --device %s: %v\n", name, o.device, err)
			return exitError
		}
		defer closeDevs()
		o.devices = devs
	}
	if locksOut(name) {
		o.lock = &outLock{cmd: name, stdout: stdout}
		defer o.lock.release()
	}
	err := cmd.run(ctx, o, stdout, stderr)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(stderr, err)
		if name == "run" || name == "train" {
			fmt.Fprintf(stderr, "to continue: %s\n", resumeCommand(name, o, fs))
		}
		return exitInterrupted
	default:
		fmt.Fprintln(stderr, err)
		return exitError
	}
}
