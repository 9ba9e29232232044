package claims

import (
	"math"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
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

func TestC4RefitAndVizFit(t *testing.T) {
	l := c4PowerLayer(200, 3e-3, 1.3, 5)
	f, err := l.Refit(experiment.MatC.V1(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.Slope-1.3) > 1e-9 || f.N != 100 || len(f.Used) != 100 {
		t.Errorf("v1 refit: slope %v N %d used %d, want 1.3, 100, 100", f.Slope, f.N, len(f.Used))
	}
	vf := vizFit(f, l.H)
	if vf.XMax != l.H[0] || vf.XMin != l.H[99] || vf.N != 100 {
		t.Errorf("viz fit range [%v, %v], want [%v, %v]", vf.XMin, vf.XMax, l.H[99], l.H[0])
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

func TestC4Offsets(t *testing.T) {
	nan := math.NaN()
	// Heights -3, -3, unknown, 1, -10.3: the second moves 2.5 decades below the first (to
	// -5.5), the unknown stays, the fourth goes 2.5 below -5.5 (1 → -8: offset -9), the fifth
	// needs 0.2 more to be 2.5 below -8, rounded down to half a decade.
	off := c4Offsets([]float64{-3, -3, nan, 1, -10.3}, 2.5)
	want := []float64{0, -2.5, 0, -9, -0.5}
	for i := range want {
		if off[i] != want[i] {
			t.Fatalf("offsets %v, want %v", off, want)
		}
	}
}

func TestC4VisibleAndLevel(t *testing.T) {
	x := []float64{1, 0.1, 1e-12, -1e-6, 0.01}
	y := []float64{1, 0.1, 1e-20, 1e-9, -1}
	vx, vy, hidden := c4Visible(x, y)
	// 1e-12 is below 1e-9 · max: hidden; the non-positive points stay for the plot's mask.
	if hidden != 1 || len(vx) != 4 || vx[2] != -1e-6 || vy[3] != -1 {
		t.Errorf("c4Visible: %v %v hidden %d", vx, vy, hidden)
	}
	if l := c4Level(&viz.Fit{Intercept: 1, Slope: 2}, nil, -1); l != -1 {
		t.Errorf("level from fit = %v, want -1", l)
	}
	if l := c4Level(nil, []float64{10, 1000, -5, 100}, 0); l != 2 {
		t.Errorf("level from median = %v, want 2", l)
	}
	if l := c4Level(nil, []float64{-1}, 0); !math.IsNaN(l) {
		t.Errorf("level without positive values = %v, want NaN", l)
	}
}
