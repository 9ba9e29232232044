package experiment

import (
	"testing"

	"github.com/noisecurv/noisecurv/lib/commute"
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
