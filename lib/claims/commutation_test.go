package claims

import (
	"math"
	"slices"
	"testing"

	"github.com/noisecurv/noisecurv/lib/commute"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
)

func TestCommutationConfigCheckpoints(t *testing.T) {
	fast, err := CommutationConfig(Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 5, 10, 20}; !slices.Equal(fast.Checkpoints, want) || fast.Epochs != 30 {
		t.Errorf("fast: checkpoints %v epochs %d, want %v and 30", fast.Checkpoints, fast.Epochs, want)
	}
	if err := fast.Validate(); err != nil {
		t.Errorf("fast config invalid: %v", err)
	}
	paper, err := CommutationConfig(Options{Paper: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 10, 30, 50, 70, 80, 90}; !slices.Equal(paper.Checkpoints, want) || paper.Epochs != 100 || paper.Seed != 3 {
		t.Errorf("paper: checkpoints %v epochs %d seed %d", paper.Checkpoints, paper.Epochs, paper.Seed)
	}
}

// c3FakeResult builds a result with snapshots at the given epochs; the commutator of C on the
// full window is 0.1*epoch, its random baseline 1, and γ(C/v1) = 1 + epoch/100.
func c3FakeResult(epochs ...int) *experiment.Result {
	r := &experiment.Result{}
	for _, e := range epochs {
		full := commute.Full(4)
		top := commute.Top(2)
		l := experiment.Layer{
			Fits: map[string]fit.Result{"C/v1": {Slope: 1 + float64(e)/100}},
			Commute: map[string]experiment.CommuteSummary{"C": {
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
		r.Snapshots = append(r.Snapshots, experiment.Snapshot{Epoch: e, Layers: []experiment.Layer{l}})
	}
	return r
}

func TestC3SeriesAndGammas(t *testing.T) {
	r := c3FakeResult(1, 5, 30)
	x, d, rn := c3Series(r, "C", "full", "commutator")
	if !slices.Equal(x, []float64{1, 5, 30}) || math.Abs(d[2]-3) > 1e-12 || rn[0] != 1 {
		t.Errorf("c3Series full commutator: x %v data %v random %v", x, d, rn)
	}
	_, d, _ = c3Series(r, "C", "top", "diagenergy")
	if d[0] != 0.5 {
		t.Errorf("top diag energy = %v, want 0.5", d[0])
	}
	_, d, rn = c3Series(r, "C", "bulk", "commutator") // no bulk window: NaN, not a panic
	if !math.IsNaN(d[0]) || !math.IsNaN(rn[0]) {
		t.Errorf("missing window gave %v, %v; want NaN", d, rn)
	}
	_, d, _ = c3Series(r, "Eh2", "full", "commutator") // no Eh2 metrics at all
	if !math.IsNaN(d[1]) {
		t.Errorf("missing matrix gave %v; want NaN", d)
	}
	_, g := c3Gammas(r, experiment.MatC.V1())
	if math.Abs(g[2]-1.3) > 1e-12 {
		t.Errorf("γ at epoch 30 = %v, want 1.3", g[2])
	}
	_, g = c3Gammas(r, experiment.MatEh2.V1())
	if !math.IsNaN(g[0]) {
		t.Errorf("missing fit gave γ %v, want NaN", g[0])
	}
}
