package claims

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/experiment"
)

func TestMarkdownAndSummary(t *testing.T) {
	o := Options{Paper: true, Models: []string{"mlp"}, Seeds: []uint64{0, 1}, Run: experiment.Options{CacheDir: t.TempDir()}}
	crit := []Criterion{{Name: "CE | superlinear", Statistic: "γ_emp − 1", Kind: Core, Sense: Above, Measured: Estimate{Value: 0.13, Lo: 0.11, Hi: 0.15},
		Threshold: 0.05, ControlName: "MSE", Control: ptr(Point(-0.04))}}
	outs := []Outcome{
		{Entry: Entry{ID: "C4-C5", Name: "Power law"}, Report: &Report{ID: "C4-C5", Title: "Power law", Notebook: "04_power_law.ipynb",
			Criteria: crit, Rows: []Row{{Quantity: "|x| on\ntwo lines", Measured: "1.126", Paper: "1 < γ"}}}},
		{Entry: Entry{ID: "C7", Name: "The grid"}, Err: errors.New("cache | broken")},
	}
	outs[0].Report.decide()
	sum := BuildSummary(o, outs)
	md := Markdown(o, outs, sum)
	for _, want := range []string{
		"`go run -tags openblas ./cmd/noisecurv reproduce --paper --models mlp --seeds 2`",
		"| **C4-C5** Power law (04_power_law.ipynb) | | | | | | | **reproduced** |",
		"| | CE \\| superlinear | core | 0.13 [0.11, 0.15] | > 0.05 | MSE: -0.04 | 2.60 | passes; control fails |",
		"| **C7** The grid () | error: cache \\| broken | | | | | | **error** |",
		"| \\|x\\| on two lines | 1.126 | 1 < γ |  |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// Every table line has as many unescaped cell separators as its header.
	cells := 0
	for _, line := range strings.Split(md, "\n") {
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		switch {
		case strings.HasPrefix(line, "| claim |"), strings.HasPrefix(line, "| cell |"), strings.HasPrefix(line, "| quantity |"):
			cells = n
		case strings.HasPrefix(line, "| ") && n != cells:
			t.Errorf("row with %d separators, header %d: %q", n, cells, line)
		}
	}
	// The summary round-trips through its file, and the README sections are replaced.
	path := filepath.Join(t.TempDir(), "summary.json")
	if err := WriteSummary(path, sum); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSummary(path)
	if err != nil || back.VerdictTable() != sum.VerdictTable() {
		t.Fatalf("summary round trip: %v", err)
	}
	readme := []byte("intro\n<!-- BEGIN generated: verdicts-paper -->\nold\n<!-- END generated: verdicts-paper -->\nend\n")
	got, err := UpdateReadme(readme, map[string]string{"verdicts-paper": "new\n"})
	if err != nil || string(got) != "intro\n<!-- BEGIN generated: verdicts-paper -->\nnew\n<!-- END generated: verdicts-paper -->\nend\n" {
		t.Errorf("UpdateReadme: %v\n%s", err, got)
	}
	if _, err := UpdateReadme(readme, map[string]string{"table1-paper": "x"}); err == nil || !strings.Contains(err.Error(), "table1-paper") {
		t.Errorf("a missing section: %v", err)
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
