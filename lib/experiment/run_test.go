package experiment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/data"
)

// tiny is a config small enough for unit tests: 3 classes x 40 MNIST samples, 8-8 hidden.
func tiny(t *testing.T) Config {
	t.Helper()
	c, err := Paper("mnist", "mlp", "ce", 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	c.Hidden = []int{8, 8}
	c.PerClass = 40
	c.Epochs = 3
	c.Batch = 20
	c.NPrime = 30
	c.Checkpoints = []int{1}
	return c
}

func needMNIST(t *testing.T) {
	t.Helper()
	if _, err := data.Load("mnist", true, data.Options{NoDownload: true}); errors.Is(err, data.ErrNotFound) {
		t.Skip("MNIST not available on this machine:", err)
	}
}

func TestRunCachesAndIsDeterministic(t *testing.T) {
	needMNIST(t)
	c := tiny(t)
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	a, err := Run(ctx, c, Options{CacheDir: dirA})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(ctx, c, Options{CacheDir: dirB})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Snapshots) != 2 || a.Snapshots[0].Epoch != 1 || a.Snapshots[1].Epoch != 3 {
		t.Fatalf("snapshots at %v, want epochs 1 and 3", epochsOf(a))
	}
	la, _ := a.Final("")
	lb, _ := b.Final("")
	if la.D != 64 || len(la.C) != 64 {
		t.Fatalf("D = %d with %d diagonals, want 64", la.D, len(la.C))
	}
	for i := range la.C {
		if la.C[i] != lb.C[i] || la.H[i] != lb.H[i] || la.Eh2[i] != lb.Eh2[i] {
			t.Fatalf("direction %d differs between two identical runs: not bit-identical", i)
		}
	}
	// rerun runs c again in dirA: its log must say want, and its gamma must be la's.
	rerun := func(what, want string) {
		t.Helper()
		var log bytes.Buffer
		r, err := Run(ctx, c, Options{CacheDir: dirA, Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), want) {
			t.Errorf("%s: the log does not say %q:\n%s", what, want, log.String())
		}
		if l, _ := r.Final(""); l.Gamma(MatC.V1()) != la.Gamma(MatC.V1()) {
			t.Errorf("%s: gamma %v != the first run's %v", what, l.Gamma(MatC.V1()), la.Gamma(MatC.V1()))
		}
	}
	// The second call in the same cache is a hit and says so.
	rerun("second run", "cached")
	// A corrupted result entry is detected and recomputed, never used.
	res := filepath.Join(dirA, c.Key()+"-result", "result.gob")
	if err := os.WriteFile(res, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	rerun("run after corrupting the result", "corrupt")
	rs, err := CachedResults(Options{CacheDir: dirA})
	if err != nil || len(rs) != 1 {
		t.Fatalf("CachedResults = %d results, err %v; want 1", len(rs), err)
	}
}

func TestRunCancelled(t *testing.T) {
	needMNIST(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, tiny(t), Options{CacheDir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func epochsOf(r *Result) []int {
	var e []int
	for _, s := range r.Snapshots {
		e = append(e, s.Epoch)
	}
	return e
}

// TestKilledRunResumes stops a run during its analysis (as a kill would) and checks that the
// restart reuses the finished training instead of recomputing it, and that nothing
// half-written was left as a result.
func TestKilledRunResumes(t *testing.T) {
	needMNIST(t)
	c := tiny(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	o := Options{CacheDir: dir, Progress: func(ev Event) {
		if ev.Stage == "analyze" {
			cancel()
		}
	}}
	if _, err := Run(ctx, c, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	if _, ok := Cached(c, Options{CacheDir: dir}); ok {
		t.Fatal("an interrupted run left a result in the cache")
	}
	var log bytes.Buffer
	if _, err := Run(context.Background(), c, Options{CacheDir: dir, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "train 3/3 cached") {
		t.Errorf("restart retrained instead of using the cached model; log:\n%s", log.String())
	}
	// The analysis reports which snapshot it is on.
	if want := fmt.Sprintf("/%d epoch %d, %s: eigh", len(c.Checkpoints)+1, c.Epochs, c.Targets[0]); !strings.Contains(log.String(), want) {
		t.Errorf("analysis progress lacks %q; log:\n%s", want, log.String())
	}
}
