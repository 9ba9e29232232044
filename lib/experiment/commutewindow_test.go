package experiment

import (
	"math"
	"slices"
	"testing"

	"github.com/noisecurv/noisecurv/lib/commute"
	"github.com/noisecurv/noisecurv/lib/fit"
)

func TestCommuteSummaryWindow(t *testing.T) {
	s := CommuteSummary{
		Windows: []commute.WindowMetrics{{Window: commute.Window{Name: "full (all 10)"}, Commutator: 1}, {Window: commute.Window{Name: "top-5"}, Commutator: 2}},
		Random:  []commute.BaselineMetrics{{}, {Commutators: []float64{3}}},
	}
	if w, r, ok := s.Window("top"); !ok || w.Commutator != 2 || len(r.Commutators) != 1 {
		t.Errorf("top: %v %v %v", w, r, ok)
	}
	if _, _, ok := s.Window("bulk"); ok {
		t.Error("bulk: found a window that is not there")
	}
	s.Random = s.Random[:1]
	if _, _, ok := s.Window("top"); ok {
		t.Error("top without a baseline: ok")
	}
}

// fakeCommuteResult builds a result with snapshots at the given epochs; the commutator of C on
// the full window is 0.1*epoch, its random baseline 1, and γ(C/v1) = 1 + epoch/100.
func fakeCommuteResult(epochs ...int) *Result {
	r := &Result{}
	for _, e := range epochs {
		full := commute.Full(4)
		top := commute.Top(2)
		l := Layer{
			Fits: map[string]fit.Result{"C/v1": {Slope: 1 + float64(e)/100}},
			Commute: map[string]CommuteSummary{"C": {
				Windows: []commute.WindowMetrics{
					{Window: full, Commutator: 0.1 * float64(e), DiagEnergy: 0.9, Spearman: 0.99, OffDiagRatio: 0.01},
					{Window: top, Commutator: 0.2, DiagEnergy: 0.5, Spearman: math.NaN()},
				},
				Random: []commute.BaselineMetrics{
					{Window: full, Commutator: fit.Summary{Mean: 1}, DiagEnergy: fit.Summary{Mean: 0.01}},
					{Window: top, Commutator: fit.Summary{Mean: 0.3}},
				},
			}},
		}
		r.Snapshots = append(r.Snapshots, Snapshot{Epoch: e, Layers: []Layer{l}})
	}
	return r
}

func TestCommuteAndGammaSeries(t *testing.T) {
	r := fakeCommuteResult(1, 5, 30)
	x, d, rn := r.CommuteSeries("C", "full", "commutator")
	if !slices.Equal(x, []float64{1, 5, 30}) || math.Abs(d[2]-3) > 1e-12 || rn[0] != 1 {
		t.Errorf("full commutator: x %v data %v random %v", x, d, rn)
	}
	_, d, _ = r.CommuteSeries("C", "top", "diagenergy")
	if d[0] != 0.5 {
		t.Errorf("top diag energy = %v, want 0.5", d[0])
	}
	_, d, rn = r.CommuteSeries("C", "bulk", "commutator") // no bulk window: NaN, not a panic
	if !math.IsNaN(d[0]) || !math.IsNaN(rn[0]) {
		t.Errorf("missing window gave %v, %v; want NaN", d, rn)
	}
	_, d, _ = r.CommuteSeries("Eh2", "full", "commutator") // no Eh2 metrics at all
	if !math.IsNaN(d[1]) {
		t.Errorf("missing matrix gave %v; want NaN", d)
	}
	_, g := r.GammaSeries(MatC.V1())
	if math.Abs(g[2]-1.3) > 1e-12 {
		t.Errorf("γ at epoch 30 = %v, want 1.3", g[2])
	}
	_, g = r.GammaSeries(MatEh2.V1())
	if !math.IsNaN(g[0]) {
		t.Errorf("missing fit gave γ %v, want NaN", g[0])
	}
}
