package experiment

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/fit"
)

type derivedValue struct {
	Key string
	X   []float64
}

func TestDerivedCachesRecomputesAndNeedsNoTraining(t *testing.T) {
	c := tiny(t)
	dir := t.TempDir()
	h, err := Open(c, Options{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	compute := func() (*derivedValue, error) {
		calls++
		return &derivedValue{Key: c.Key(), X: []float64{1, 2, float64(calls)}}, nil
	}
	a, err := Derived(h, "probe-v1", compute)
	if err != nil {
		t.Fatal(err)
	}
	// A fresh handle finds the entry without loading data or training (no MNIST needed).
	h2, _ := Open(c, Options{CacheDir: dir})
	b, err := Derived(h2, "probe-v1", compute)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || b.Key != a.Key || b.X[2] != 1 {
		t.Fatalf("second Derived computed again (calls %d) or returned %+v", calls, b)
	}
	if h2.set != nil || h2.trained != nil {
		t.Fatal("a cache hit loaded the data or the model")
	}
	// Recompute ignores and overwrites the entry.
	h3, _ := Open(c, Options{CacheDir: dir, Recompute: true})
	r, err := Derived(h3, "probe-v1", compute)
	if err != nil || calls != 2 || r.X[2] != 2 {
		t.Fatalf("Recompute: calls %d, value %+v, err %v", calls, r, err)
	}
	if v, _ := Derived(h2, "probe-v1", compute); v.X[2] != 2 || calls != 2 {
		t.Fatalf("after Recompute the entry holds %+v (calls %d), want the recomputed value", v, calls)
	}
	// Another tag is another entry; a failing compute stores nothing.
	boom := errors.New("boom")
	if _, err := Derived(h, "other-v1", func() (*derivedValue, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("compute error not returned: %v", err)
	}
	if _, ok, _ := h.Options.cache().Get(h.DerivedKey("other-v1")); ok {
		t.Fatal("a failed compute left an entry")
	}
	if _, err := Derived(h, "a/b", compute); err == nil || !strings.Contains(err.Error(), "tag") {
		t.Fatalf("a tag with a slash: err %v, want one naming the tag", err)
	}
}

func TestDerivedReadsLegacySingleFileEntries(t *testing.T) {
	c := tiny(t)
	h, _ := Open(c, Options{CacheDir: t.TempDir()})
	first, err := Derived(h, "legacy", func() (*derivedValue, error) { return &derivedValue{Key: "x"}, nil })
	if err != nil {
		t.Fatal(err)
	}
	files, _, _ := h.Options.cache().Get(h.DerivedKey("legacy"))
	// Rewrite the entry under the file name older claim code used.
	if err := h.Options.cache().Put(h.DerivedKey("old"), map[string][]byte{"duality.gob": files[derivedFile]}); err != nil {
		t.Fatal(err)
	}
	got, err := Derived(h, "old", func() (*derivedValue, error) { t.Fatal("recomputed a legacy entry"); return nil, nil })
	if err != nil || got.Key != first.Key {
		t.Fatalf("legacy entry: %+v, %v", got, err)
	}
}

func TestHandleProblemMatchesRun(t *testing.T) {
	needMNIST(t)
	c := tiny(t)
	ctx := context.Background()
	h, err := Open(c, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := h.Final(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// The stored commutation summary carries the diagonal-preserving null, which keeps the
	// diagonal of every window and with it Spearman ρ(K_ii, λ_i).
	cs := l.Commute[string(MatC)]
	if len(cs.Null) != len(cs.Windows) || len(cs.Windows) == 0 {
		t.Fatalf("%d null windows for %d windows", len(cs.Null), len(cs.Windows))
	}
	for i, w := range cs.Windows {
		if n := cs.Null[i]; n.Window != w.Window || n.Spearman.N != NullDraws || math.Abs(n.Spearman.Mean-w.Spearman) > 1e-12 {
			t.Errorf("window %s: null %+v, data Spearman %v", w.Window.Name, n.Spearman, w.Spearman)
		}
	}
	epochs, err := h.Epochs(ctx)
	if err != nil || len(epochs) != 2 || epochs[0] != 1 {
		t.Fatalf("epochs %v, %v; want [1 3]", epochs, err)
	}
	// The handle's Problem at the final epoch reproduces the stored eigenvalues.
	p, err := h.Problem(ctx, FinalEpoch)
	if err != nil {
		t.Fatal(err)
	}
	H, err := curv.Hessian(p)
	if err != nil {
		t.Fatal(err)
	}
	vals, _, err := curv.Eigen(H)
	if err != nil {
		t.Fatal(err)
	}
	for i := range vals {
		if math.Abs(vals[i]-l.Eigenvalues[i]) > 1e-12*math.Abs(l.Eigenvalues[0]) {
			t.Fatalf("eigenvalue %d: handle %g, stored %g", i, vals[i], l.Eigenvalues[i])
		}
	}
	// The checkpoint problem differs from the final one; the last epoch number is the final model.
	p1, err := h.Problem(ctx, epochs[0])
	if err != nil {
		t.Fatal(err)
	}
	if p1.Model == p.Model {
		t.Fatal("epoch 1 gave the final model")
	}
	if m, _ := h.Model(ctx, epochs[1]); m != p.Model {
		t.Fatal("the last epoch is not the final model")
	}
	if _, err := h.Model(ctx, 2); err == nil || !strings.Contains(err.Error(), "epoch 2") {
		t.Fatalf("epoch without snapshot: err %v", err)
	}
	if got := p.Loss.Name(); got != "ce" {
		t.Fatalf("loss %q", got)
	}
	// A block of two layers.
	pb, err := h.Problem(ctx, FinalEpoch, "fc1", "fc2")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := pb.Dim(); err != nil || d != 784*8+8*8 {
		t.Fatalf("block dim %d, %v", d, err)
	}
}

func TestFitKeys(t *testing.T) {
	k := MatC.V1()
	if k.String() != "C/v1" {
		t.Fatalf("String %q", k)
	}
	for _, k := range FitKeys() {
		p, err := ParseFitKey(k.String())
		if err != nil || p != k {
			t.Fatalf("round trip of %v: %v, %v", k, p, err)
		}
	}
	if len(FitKeys()) != 10 {
		t.Fatalf("%d fit keys, want 10", len(FitKeys()))
	}
	for _, bad := range []string{"C", "Q/v1", "C/v3"} {
		if _, err := ParseFitKey(bad); err == nil {
			t.Errorf("ParseFitKey(%q) accepted", bad)
		}
	}
	l := &Layer{C: []float64{1}, Fits: map[string]fit.Result{"Eh2/v2": {Slope: 1.25}}}
	if l.Gamma(MatEh2.V2()) != 1.25 || !math.IsNaN(l.Gamma(MatC.V1())) {
		t.Fatal("Gamma does not read the stored map")
	}
	if l.Diagonal(MatC)[0] != 1 || l.Diagonal(MatF) != nil {
		t.Fatal("Diagonal")
	}
	if _, err := (Config{Loss: "hinge"}).LossFunc(); err == nil || !strings.Contains(err.Error(), "loss") {
		t.Fatalf("LossFunc of a bad name: %v", err)
	}
}

func TestHandleCommutation(t *testing.T) {
	needMNIST(t)
	ctx := context.Background()
	h, err := Open(tiny(t), Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := h.Final(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := h.Commutation(ctx, FinalEpoch, "", 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Matrix{MatC, MatEh2} {
		got, stored := cs[string(m)], l.Commute[string(m)]
		if len(got.Windows) != len(stored.Windows) || len(got.Random) != len(got.Windows) || len(got.Null) != len(got.Windows) {
			t.Fatalf("%s: %d windows, %d random, %d null", m, len(got.Windows), len(got.Random), len(got.Null))
		}
		for i, w := range got.Windows {
			if math.Abs(w.Commutator-stored.Windows[i].Commutator) > 1e-9*stored.Windows[i].Commutator {
				t.Errorf("%s %s: recomputed commutator %v, stored %v", m, w.Window.Name, w.Commutator, stored.Windows[i].Commutator)
			}
			if got.Random[i].Commutator.N != 8 || stored.Random[i].Commutator.N != RandomDraws {
				t.Errorf("%s %s: %d draws (stored %d)", m, w.Window.Name, got.Random[i].Commutator.N, stored.Random[i].Commutator.N)
			}
		}
	}
	if _, err := h.Commutation(ctx, FinalEpoch, "", 1); err == nil {
		t.Error("draws = 1 accepted")
	}
}

func TestHandleFinalState(t *testing.T) {
	h, l, p := tinyFinal(t)
	st, err := h.FinalState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Layer.Target != h.Config.Targets[0] || st.Layer.Target != l.Target || st.Problem.N() != p.N() || st.Factors.N != p.N() || st.Factors.D != st.Layer.D {
		t.Errorf("target %s (config %v), N %d/%d (want %d), factors D %d vs layer D %d",
			st.Layer.Target, h.Config.Targets, st.Problem.N(), st.Factors.N, p.N(), st.Factors.D, st.Layer.D)
	}
	if len(st.Result.Snapshots) == 0 {
		t.Error("no snapshots in the result")
	}
}
