package claims

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
)

func TestGridLayoutAndCommands(t *testing.T) {
	// Seed 5 is added to the paper's four seeds 0..3, which C7 always reads from the cache.
	o := Options{Seeds: []uint64{0, 5}, Run: experiment.Options{CacheDir: t.TempDir()}}
	cells, err := gridLayout(o)
	if err != nil {
		t.Fatal(err)
	}
	// 8 rows x 3 class counts of Table 1, then the Fashion-MNIST row.
	if len(cells) != 27 {
		t.Fatalf("%d cells, want 24 + 3", len(cells))
	}
	for i, c := range cells {
		if len(c.Configs) != 5 || c.Configs[1].Seed != 1 || c.Configs[4].Seed != 5 || c.Configs[0].Classes != c.Classes {
			t.Errorf("cell %s: configs %d", c.Label(), len(c.Configs))
		}
		if c.Extension != (i >= 24) {
			t.Errorf("cell %d %s: extension %v", i, c.Label(), c.Extension)
		}
		want, _ := o.Preset(c.Dataset, c.Model, c.Loss, c.Classes, 0)
		if c.Configs[0].Key() != want.Key() {
			t.Errorf("cell %s: config differs from the preset's (cache keys would not match)", c.Label())
		}
	}
	if got := cells[0].Label(); got != "MNIST MLP CE, C'=3" {
		t.Errorf("first cell %q", got)
	}
	// Nothing cached: every cell reads as missing and names its command.
	got, err := GridData(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := got[6] // MNIST CNN CE C'=3
	if c.Available() != 0 || len(c.Missing()) != 5 {
		t.Fatalf("cell %s: available %d missing %v", c.Label(), c.Available(), c.Missing())
	}
	if cmd := c.Command(false); cmd != "go run ./cmd/noisecurv grid --seeds 0,1,2,3,5 --datasets mnist --models cnn --losses ce" {
		t.Errorf("command %q", cmd)
	}
	ext := got[26]
	if cmd := ext.Command(true); !strings.Contains(cmd, "analyze --dataset fashion-mnist --model mlp --loss ce --classes 10 --seed 0 --paper; ") ||
		!strings.HasSuffix(cmd, "--seed 5 --paper") {
		t.Errorf("extension command %q", cmd)
	}
	if _, err := GridData(context.Background(), o, []GridSpec{{"cifar10", "mlp", "ce", 4}}); err == nil {
		t.Error("GridData accepted a cell outside the grid")
	}
}

func TestGridSummaryAndFigures(t *testing.T) {
	mk := func(emp, awd float64) *experiment.Result {
		l := experiment.Layer{Target: "fc2", D: 4, Fits: map[string]fit.Result{"C/v1": {Slope: emp}, "Eh2/v1": {Slope: awd}, "Covar/v1": {Slope: emp - 0.01}}}
		return &experiment.Result{Snapshots: []experiment.Snapshot{{Epoch: 30, Layers: []experiment.Layer{l}}}}
	}
	a := &GridCell{GridSpec: GridSpec{"mnist", "mlp", "ce", 3}, Seeds: []uint64{0, 1, 2}, Results: []*experiment.Result{mk(1.2, 1.3), nil, mk(1.4, 1.5)}}
	a.summarize()
	if a.Available() != 2 || math.Abs(a.GammaEmp.Mean-1.3) > 1e-12 || math.Abs(a.GammaEmp.Std-math.Sqrt(0.02)) > 1e-12 || a.GammaAWD.N != 2 {
		t.Errorf("summary %+v %+v", a.GammaEmp, a.GammaAWD)
	}
	if math.Abs(a.GammaCovar.Mean-1.29) > 1e-12 || a.GammaCovar.N != 2 {
		t.Errorf("Covar summary %+v, want mean 1.29 over 2 seeds", a.GammaCovar)
	}
	if got := FmtSummary(a.GammaEmp); got != "1.300 ± 0.141" {
		t.Errorf("FmtSummary = %q", got)
	}
	if got := FmtSummary(fit.Summary{}); got != "–" {
		t.Errorf("FmtSummary(empty) = %q", got)
	}
	b := &GridCell{GridSpec: GridSpec{"mnist", "mlp", "ce", 10}, Seeds: []uint64{0}, Results: []*experiment.Result{mk(1.1, 1.2)}}
	b.summarize()
	m := &GridCell{GridSpec: GridSpec{"mnist", "mlp", "mse", 10}, Seeds: []uint64{0}, Results: []*experiment.Result{mk(1.0, 0.95)}}
	m.summarize()
	cells := []*GridCell{b, m, a}
	labels, groups := gridGroups(cells)
	if len(labels) != 2 || labels[0] != "MNIST MLP CE" || groups["MNIST MLP CE"][0].Classes != 3 {
		t.Errorf("groups %v (first CE class %d): want CE first, sorted by C'", labels, groups["MNIST MLP CE"][0].Classes)
	}
	sc, err := GridScatter(cells)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.OptionJSON(); err != nil {
		t.Fatal(err)
	}
	series := sc.Option["series"].([]any)
	if len(series) != 3 { // two rows + y = x
		t.Errorf("scatter has %d series, want 3", len(series))
	}
	if _, err := GridByClasses(cells); err != nil {
		t.Fatal(err)
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

// TestGridDataRespectsModels checks that a cell of an excluded architecture is not computed:
// with a cancelled context any attempt to compute returns the context's error.
func TestGridDataRespectsModels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cnn := []GridSpec{{"mnist", "cnn", "ce", 3}}
	o := Options{Paper: true, Models: []string{"mlp"}, Run: experiment.Options{CacheDir: t.TempDir()}}
	if _, err := GridData(ctx, o, cnn); err != nil {
		t.Errorf("Models mlp: GridData tried to compute a CNN cell: %v", err)
	}
	o.Models = nil
	if _, err := GridData(ctx, o, cnn); !errors.Is(err, context.Canceled) {
		t.Errorf("all models: err = %v, want the cancelled context (the CNN cell is computed)", err)
	}
}
