package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWatchSignals: the first signal cancels the context with errInterrupted and says so; the
// second calls exit; closing done ends the watcher without either.
func TestWatchSignals(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	done := make(chan struct{})
	ctx, cancel := context.WithCancelCause(context.Background())
	exited := make(chan struct{})
	var w bytes.Buffer
	finished := make(chan struct{})
	go func() {
		watchSignals(sigs, done, cancel, func() { close(exited) }, &w)
		close(finished)
	}()
	sigs <- os.Interrupt
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first signal did not cancel the context")
	}
	if !errors.Is(context.Cause(ctx), errInterrupted) {
		t.Errorf("cause %v, want errInterrupted", context.Cause(ctx))
	}
	select {
	case <-exited:
		t.Fatal("the first signal exited")
	default:
	}
	sigs <- os.Interrupt
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the second signal did not exit")
	}
	<-finished
	if !strings.Contains(w.String(), "Ctrl-C again quits at once") || !strings.Contains(w.String(), "quitting now") {
		t.Errorf("messages: %q", w.String())
	}

	// No signal: done ends the watcher, nothing is cancelled.
	ctx2, cancel2 := context.WithCancelCause(context.Background())
	done2 := make(chan struct{})
	finished2 := make(chan struct{})
	go func() {
		watchSignals(make(chan os.Signal), done2, cancel2, func() { t.Error("exit without a signal") }, &w)
		close(finished2)
	}()
	close(done2)
	<-finished2
	if ctx2.Err() != nil {
		t.Error("the watcher cancelled without a signal")
	}
}

// TestInterruptKeepsWork runs noisecurv (this test binary, see TestMain) on a training run
// that would take minutes, sends SIGINT once training is under way, and checks that the
// process ends within seconds with status 130, says what was kept, and wrote no run folder.
func TestInterruptKeepsWork(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST in a subprocess")
	}
	needMNIST(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	cmd := exec.Command(os.Args[0], "train", "--loss", "mse", "--per-class", "100", "--epochs", "100000",
		"--cache", filepath.Join(dir, "cache"), "--out", out)
	cmd.Env = append(os.Environ(), "NOISECURV_TEST_MAIN=1")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	started := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		once := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), "] train ") {
				once = true
				close(started)
			}
		}
		close(drained)
	}()
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-drained
		t.Fatalf("no training progress within 60 s:\n%s", log.String())
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { <-drained; waited <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-waited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 20 s after SIGINT:\n%s", log.String())
	}
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.ExitCode() != exitInterrupted {
		t.Errorf("exit: %v, want status %d", werr, exitInterrupted)
	}
	if !strings.Contains(log.String(), "stopping after the current step") || !strings.Contains(log.String(), "nothing was saved") {
		t.Errorf("stderr does not say what happened and what was kept:\n%s", log.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an interrupted training wrote its run folder (%v)", err)
	}
	t.Logf("stopped %.2fs after SIGINT", took.Seconds())
}
