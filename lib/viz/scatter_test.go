package viz

import (
	"math"
	"testing"
)

func TestLabelledScatter(t *testing.T) {
	f, err := LabelledScatter(LabelledScatterSpec{Title: "s", XName: "x", YName: "y", Groups: []PointGroup{
		{Name: "a", Points: []LabelledPoint{{"p", 1.1, 1.2}, {"nan", math.NaN(), 1}}},
		{Name: "empty", Points: []LabelledPoint{{"inf", 1, math.Inf(1)}}},
		{Name: "b", Points: []LabelledPoint{{"q", 1.0, 0.95}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionOf(t, f)
	ss := seriesList(t, opt)
	if len(ss) != 3 || ss[0]["name"] != "a" || ss[1]["name"] != "b" || ss[2]["name"] != "y = x" {
		t.Fatalf("series %v, want a, b, y = x", ss)
	}
	if n := len(ss[0]["data"].([]any)); n != 1 {
		t.Errorf("group a has %d points, want 1 (the NaN point skipped)", n)
	}
	// Range [0.95, 1.2] padded by max(0.05, 0.025) = 0.05: the diagonal runs 0.9 .. 1.25.
	d := points(t, ss[2])
	if math.Abs(d[0][0]-0.9) > 1e-12 || math.Abs(d[1][1]-1.25) > 1e-12 {
		t.Errorf("diagonal %v, want from 0.9 to 1.25", d)
	}
	if ax := opt["xAxis"].(map[string]any); math.Abs(ax["min"].(float64)-0.9) > 1e-12 || math.Abs(ax["max"].(float64)-1.25) > 1e-12 {
		t.Errorf("x axis [%v, %v], want [0.9, 1.25]", ax["min"], ax["max"])
	}
	if _, err := LabelledScatter(LabelledScatterSpec{Title: "none", Groups: []PointGroup{{Name: "e"}}}); err == nil {
		t.Error("no point: want an error")
	}
}
