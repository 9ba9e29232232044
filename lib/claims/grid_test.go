package claims

import (
	"context"
	"errors"
	"testing"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
)

func TestGridData(t *testing.T) {
	// Seed 5 is added to the paper's four seeds 0..3, which C7 always reads from the cache.
	o := Options{Seeds: []uint64{0, 5}, Run: experiment.Options{CacheDir: t.TempDir()}}
	if got := gridSeeds(o); len(got) != 5 || got[4] != 5 {
		t.Errorf("gridSeeds = %v, want 0..3 and 5", got)
	}
	// Nothing cached: every cell reads as missing, with the preset's configs (so that cache
	// keys match the runs `noisecurv grid` stores).
	cells, err := GridData(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 27 || !cells[24].Extension {
		t.Fatalf("%d cells (extension from 24: %v), want 24 + 3", len(cells), cells[24].Extension)
	}
	for _, c := range cells {
		want, err := o.Preset(c.Dataset, c.Model, c.Loss, c.Classes, 5)
		if err != nil {
			t.Fatal(err)
		}
		if c.Available() != 0 || len(c.Missing()) != 5 || c.Configs[4].Key() != want.Key() {
			t.Errorf("cell %s: available %d, missing %v, config %s", c.Label(), c.Available(), c.Missing(), c.Configs[4].Name())
		}
	}
	if _, err := GridData(context.Background(), o, []experiment.GridSpec{{Dataset: "cifar10", Model: "mlp", Loss: "ce", Classes: 4}}); err == nil {
		t.Error("GridData accepted a cell outside the grid")
	}
}

func TestGridFigures(t *testing.T) {
	cell := func(loss string, k int, emp, awd, acc float64) *experiment.GridCell {
		return &experiment.GridCell{GridSpec: experiment.GridSpec{Dataset: "mnist", Model: "mlp", Loss: loss, Classes: k},
			GammaEmp: fit.Summary{Mean: emp, N: 1}, GammaAWD: fit.Summary{Mean: awd, N: 1}, TrainAcc: fit.Summary{Mean: acc, N: 1}}
	}
	cells := []*experiment.GridCell{cell("ce", 10, 1.1, 1.2, 1), cell("mse", 10, 1.0, 0.95, 0.5), cell("ce", 3, 1.3, 1.4, 1)}
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

// TestGridDataRespectsModels checks that a cell of an excluded architecture is not computed:
// with a cancelled context any attempt to compute returns the context's error.
func TestGridDataRespectsModels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cnn := []experiment.GridSpec{{Dataset: "mnist", Model: "cnn", Loss: "ce", Classes: 3}}
	o := Options{Paper: true, Models: []string{"mlp"}, Run: experiment.Options{CacheDir: t.TempDir()}}
	if _, err := GridData(ctx, o, cnn); err != nil {
		t.Errorf("Models mlp: GridData tried to compute a CNN cell: %v", err)
	}
	o.Models = nil
	if _, err := GridData(ctx, o, cnn); !errors.Is(err, context.Canceled) {
		t.Errorf("all models: err = %v, want the cancelled context (the CNN cell is computed)", err)
	}
}
