package claims

import (
	"errors"
	"strings"
	"testing"
)

func TestMarkdown(t *testing.T) {
	o := Options{Paper: true, Models: []string{"mlp"}, Seeds: []uint64{0, 1}}
	outs := []Outcome{
		{Entry: Entry{ID: "C4-C5", Name: "Power law"}, Report: &Report{ID: "C4-C5", Title: "Power law", Notebook: "04_power_law.ipynb",
			Verdict: Reproduced, Why: "CE superlinear.", Rows: []Row{{Quantity: "|x| on\ntwo lines", Measured: "1.126", Paper: "1 < γ"}}}},
		{Entry: Entry{ID: "C7", Name: "The grid"}, Err: errors.New("cache | broken")},
	}
	md := Markdown(o, outs)
	for _, want := range []string{
		"`go run ./cmd/noisecurv reproduce --paper --models mlp --seeds 2`",
		"| C4-C5 | Power law | 04_power_law.ipynb | reproduced |",
		"| C7 | The grid | | error: cache \\| broken |",
		"| \\|x\\| on two lines | 1.126 | 1 < γ |  |",
		"Verdict: **reproduced**. CE superlinear.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// Every table line has the same number of unescaped cell separators as its header.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 5 {
			t.Errorf("row with a wrong cell count: %q", line)
		}
	}
}

func TestParseModels(t *testing.T) {
	if m, err := ParseModels(" mlp, cnn ,"); err != nil || len(m) != 2 || m[0] != "mlp" || m[1] != "cnn" {
		t.Errorf("ParseModels = %v, %v", m, err)
	}
	if m, err := ParseModels(""); err != nil || m != nil {
		t.Errorf("ParseModels(\"\") = %v, %v, want all (nil)", m, err)
	}
	if _, err := ParseModels("mpl"); err == nil || !strings.Contains(err.Error(), `"mpl"`) {
		t.Errorf("ParseModels(mpl): err = %v, want it to name mpl", err)
	}
}
