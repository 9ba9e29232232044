package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errInterrupted is the cause of the context cancelled by the first Ctrl-C.
var errInterrupted = errors.New("interrupted")

// interruptible returns a context that the first SIGINT or SIGTERM cancels (the work stops
// after its current step, keeping what is finished); a second signal calls exit at once.
// stop releases the signals.
func interruptible(parent context.Context, exit func()) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go watchSignals(sigs, done, cancel, exit, stderr)
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// watchSignals cancels on the first signal and calls exit on the second; it returns when done
// closes.
func watchSignals(sigs <-chan os.Signal, done <-chan struct{}, cancel context.CancelCauseFunc, exit func(), w io.Writer) {
	select {
	case s := <-sigs:
		fmt.Fprintf(w, "\nnoisecurv: %v: stopping after the current step, keeping what is finished (Ctrl-C again quits at once)\n", s)
		cancel(errInterrupted)
	case <-done:
		return
	}
	select {
	case <-sigs:
		fmt.Fprintln(w, "\nnoisecurv: interrupted again: quitting now")
		exit()
	case <-done:
	}
}

// interrupted wraps err, when the context was cancelled by a signal, into an error saying what
// was kept; other errors pass through.
func interrupted(ctx context.Context, err error, kept string) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	return fmt.Errorf("%w: %s", errInterrupted, kept)
}
