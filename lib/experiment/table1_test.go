package experiment

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/nn"
)

func TestTable1LayoutAndCommands(t *testing.T) {
	seeds := []uint64{0, 1, 2, 3, 5}
	cells := Table1(seeds, true)
	// 8 rows x 3 class counts of Table 1, then the Fashion-MNIST row.
	if len(cells) != 27 {
		t.Fatalf("%d cells, want 24 + 3", len(cells))
	}
	for i, c := range cells {
		if len(c.Configs) != 5 || c.Configs[1].Seed != 1 || c.Configs[4].Seed != 5 || c.Configs[0].Classes != c.Classes || len(c.Results) != 5 {
			t.Errorf("cell %s: configs %d", c.Label(), len(c.Configs))
		}
		if c.Extension != (i >= 24) {
			t.Errorf("cell %d %s: extension %v", i, c.Label(), c.Extension)
		}
		want, err := Paper(c.Dataset, c.Model, c.Loss, c.Classes, 0)
		if err != nil {
			t.Fatal(err)
		}
		if c.Configs[0].Key() != Fast(want).Key() {
			t.Errorf("cell %s: config differs from the fast preset's (cache keys would not match)", c.Label())
		}
	}
	// The paper's cells in Grid's order.
	for i, c := range Grid([]uint64{0}, true, nil, nil, nil) {
		if cells[i].Configs[0].Key() != c.Key() {
			t.Errorf("cell %d: %s, Grid has %s", i, cells[i].Label(), c.Name())
		}
	}
	if got := cells[0].Label(); got != "MNIST MLP CE, C'=3" {
		t.Errorf("first cell %q", got)
	}
	if got := cells[26].Label(); got != "Fashion-MNIST MLP CE, C'=10" {
		t.Errorf("last cell %q", got)
	}
	// Nothing cached: every cell reads as missing and names its command.
	o := Options{CacheDir: t.TempDir()}
	c := cells[6] // MNIST CNN CE C'=3
	c.Load(o)
	if c.Available() != 0 || len(c.Missing()) != 5 || c.GammaEmp.N != 0 {
		t.Fatalf("cell %s: available %d missing %v", c.Label(), c.Available(), c.Missing())
	}
	if cmd := c.Command(false); cmd != "go run ./cmd/noisecurv grid --seeds 0,1,2,3,5 --datasets mnist --models cnn --losses ce" {
		t.Errorf("command %q", cmd)
	}
	if p := c.Pending([]uint64{1, 7}); len(p) != 1 || p[0].Seed != 1 {
		t.Errorf("pending %v, want seed 1's config", p)
	}
	ext := cells[26]
	if cmd := ext.Command(true); !strings.Contains(cmd, "analyze --dataset fashion-mnist --model mlp --loss ce --classes 10 --seed 0 --paper; ") ||
		!strings.HasSuffix(cmd, "--seed 5 --paper") {
		t.Errorf("extension command %q", cmd)
	}
	// Compute checks the context before each run it would start, and starts none when every
	// asked seed has a result.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Compute(ctx, []uint64{0}, o); !errors.Is(err, context.Canceled) {
		t.Errorf("Compute with a cancelled context: %v", err)
	}
	if err := c.Compute(ctx, nil, o); err != nil {
		t.Errorf("Compute of no seed: %v", err)
	}
	if _, _, err := c.First(); err == nil {
		t.Error("First of a cell without results: no error")
	}
}

func TestGridCellSummary(t *testing.T) {
	mk := func(emp, awd, acc float64) *Result {
		l := Layer{Target: "fc2", D: 4, Fits: map[string]fit.Result{"C/v1": {Slope: emp}, "Eh2/v1": {Slope: awd}, "Covar/v1": {Slope: emp - 0.01}}}
		return &Result{Snapshots: []Snapshot{{Epoch: 30, Layers: []Layer{l}}},
			History: nn.History{Epochs: []nn.EpochStats{{Epoch: 30, TrainAcc: acc, Evaluated: true}}}}
	}
	a := &GridCell{GridSpec: GridSpec{"mnist", "mlp", "ce", 3}, Seeds: []uint64{0, 1, 2}, Results: []*Result{mk(1.2, 1.3, 1), nil, mk(1.4, 1.5, 0.98)}}
	a.summarize()
	if a.Available() != 2 || math.Abs(a.GammaEmp.Mean-1.3) > 1e-12 || math.Abs(a.GammaEmp.Std-math.Sqrt(0.02)) > 1e-12 || a.GammaAWD.N != 2 {
		t.Errorf("summary %+v %+v", a.GammaEmp, a.GammaAWD)
	}
	if math.Abs(a.GammaCovar.Mean-1.29) > 1e-12 || a.GammaCovar.N != 2 {
		t.Errorf("Covar summary %+v, want mean 1.29 over 2 seeds", a.GammaCovar)
	}
	if math.Abs(a.TrainAcc.Mean-0.99) > 1e-12 || !a.Trained() {
		t.Errorf("train accuracy %+v (trained %v), want mean 0.99, trained", a.TrainAcc, a.Trained())
	}
	if r, l, err := a.First(); err != nil || r != a.Results[0] || l.Gamma(MatC.V1()) != 1.2 {
		t.Errorf("First: %v, %v", l, err)
	}
	if m := a.Missing(); len(m) != 1 || m[0] != 1 {
		t.Errorf("missing %v, want seed 1", m)
	}
}

func TestGridCellTrained(t *testing.T) {
	for _, tc := range []struct {
		loss string
		acc  float64
		n    int
		want bool
	}{{"ce", 0.995, 1, true}, {"ce", 0.98, 1, false}, {"mse", 0.96, 1, true}, {"mse", 0.169, 1, false}, {"ce", 1, 0, false}} {
		c := &GridCell{GridSpec: GridSpec{Loss: tc.loss}, TrainAcc: fit.Summary{Mean: tc.acc, N: tc.n}}
		if got := c.Trained(); got != tc.want {
			t.Errorf("%s acc %v (n=%d): Trained = %v, want %v", tc.loss, tc.acc, tc.n, got, tc.want)
		}
	}
}
