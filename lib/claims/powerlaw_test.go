package claims

import (
	"math"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
)

func TestPowerLawConfigs(t *testing.T) {
	fast := DefaultPowerLawRuns(Options{})
	paper := DefaultPowerLawRuns(Options{Paper: true})
	if len(paper) != len(PowerLawRuns) {
		t.Errorf("paper preset runs %d series, want all %d", len(paper), len(PowerLawRuns))
	}
	for _, r := range fast {
		if r.Model == "cnn" {
			t.Errorf("fast default includes the CNN (%s), which is too slow for a notebook", r.Label)
		}
	}
	for _, pr := range PowerLawRuns {
		cf, err := PowerLawConfig(Options{}, pr, 1)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := PowerLawConfig(Options{Paper: true}, pr, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := cf.Validate(); err != nil {
			t.Errorf("%s fast: %v", pr.Label, err)
		}
		wantFast := 30
		if pr.FastEpochs > 0 {
			wantFast = pr.FastEpochs
		}
		if cf.Epochs != wantFast || cp.Epochs != 100 {
			t.Errorf("%s: epochs fast %d paper %d, want %d and 100", pr.Label, cf.Epochs, cp.Epochs, wantFast)
		}
		if cf.Seed != 1 || cf.Loss != pr.Loss || cf.Model != pr.Model {
			t.Errorf("%s: config %+v does not match the series", pr.Label, cf)
		}
	}
}

// c4PowerLayer is a layer with H_i = 10^(-i/k) and C_i = c H_i^gamma, plus a few trailing
// non-positive eigenvalues.
func c4PowerLayer(n int, c, gamma float64, neg int) *experiment.Layer {
	l := &experiment.Layer{Target: "fc2", D: n + neg, Fits: map[string]fit.Result{}, FitErrors: map[string]string{}}
	for i := 0; i < n; i++ {
		h := math.Pow(10, -4*float64(i)/float64(n))
		l.H = append(l.H, h)
		l.C = append(l.C, c*math.Pow(h, gamma))
		l.Eh2 = append(l.Eh2, math.Pow(h, 2))
		l.Covar = append(l.Covar, c*math.Pow(h, gamma))
	}
	for i := 0; i < neg; i++ {
		l.H = append(l.H, -1e-6)
		l.C = append(l.C, 1e-9)
		l.Eh2 = append(l.Eh2, 1e-12)
		l.Covar = append(l.Covar, 1e-9)
	}
	return l
}

func TestC4Refit(t *testing.T) {
	l := c4PowerLayer(200, 3e-3, 1.3, 5)
	f, err := l.Refit(experiment.MatC.V1(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.Slope-1.3) > 1e-9 || f.N != 100 || len(f.Used) != 100 {
		t.Errorf("v1 refit: slope %v N %d used %d, want 1.3, 100, 100", f.Slope, f.N, len(f.Used))
	}
	g, err := l.Refit(experiment.MatEh2.V2(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(g.Slope-2) > 1e-9 || g.Dropped != 5 {
		t.Errorf("v2 refit: slope %v dropped %d, want 2 and the 5 non-positive points", g.Slope, g.Dropped)
	}
	if _, err := l.Refit(experiment.FitKey{Matrix: "Q", Rule: fit.RuleV1}, 10); err == nil || !strings.Contains(err.Error(), "Q") {
		t.Errorf("unknown matrix: err %v", err)
	}
	l.F = nil
	if _, err := l.Refit(experiment.MatF.V1(), 10); err == nil {
		t.Error("missing diagonal: no error")
	}
}

func TestWindowStudy(t *testing.T) {
	l := c4PowerLayer(200, 3e-3, 1.3, 5)
	tab, fig, err := WindowStudy("w", []string{"a"}, []*experiment.Layer{l}, []int{100}, experiment.MatC, experiment.MatEh2)
	if err != nil {
		t.Fatal(err)
	}
	// An exact power law: every window gives its exponent (C: 1.3, E h²: 2).
	if len(tab.Rows) != 2 || len(tab.Header) != 7 || !strings.HasPrefix(tab.Rows[0][3], "1.300") || !strings.HasPrefix(tab.Rows[1][5], "2.000") {
		t.Errorf("table %v %v", tab.Header, tab.Rows)
	}
	if _, err := fig.OptionJSON(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := WindowStudy("w", []string{"a", "b"}, []*experiment.Layer{l}, []int{100}); err == nil {
		t.Error("mismatched names: no error")
	}
}
