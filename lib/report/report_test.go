package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/lib/claims"
	"github.com/noisecurv/noisecurv/lib/data"
	"github.com/noisecurv/noisecurv/lib/experiment"
)

func TestMarkdownAndSummary(t *testing.T) {
	o := claims.Options{Paper: true, Models: []string{"mlp"}, Seeds: []uint64{0, 1}, Run: experiment.Options{CacheDir: t.TempDir()}}
	control := claims.Point(-0.04)
	crit := []claims.Criterion{{Name: "CE | superlinear", Statistic: "γ_emp − 1", Kind: claims.Core, Sense: claims.Above, Measured: claims.Estimate{Value: 0.13, Lo: 0.11, Hi: 0.15},
		Threshold: 0.05, ControlName: "MSE", Control: &control}}
	outs := []Outcome{
		{Entry: claims.Entry{ID: "C4-C5", Name: "Power law"}, Report: &claims.Report{ID: "C4-C5", Title: "Power law", Notebook: "04_power_law.ipynb",
			Criteria: crit, Rows: []claims.Row{{Quantity: "|x| on\ntwo lines", Measured: "1.126", Paper: "1 < γ"}}}},
		{Entry: claims.Entry{ID: "C7", Name: "The grid"}, Err: errors.New("cache | broken")},
	}
	outs[0].Report.Verdict, outs[0].Report.Why = claims.Decide(crit)
	sum := BuildSummary(o, outs)
	md := Markdown(o, outs, sum)
	expectLines(t, "Markdown", md,
		"`go run -tags openblas ./cmd/noisecurv reproduce --paper --models mlp --seeds 2`",
		"| **C4-C5** Power law (04_power_law.ipynb) | | | | | | | **reproduced** |",
		"| | CE \\| superlinear | core | 0.13 [0.11, 0.15] | > 0.05 | MSE: -0.04 | 2.60 | passes; control fails |",
		"| **C7** The grid () | error: cache \\| broken | | | | | | **error** |",
		"| \\|x\\| on two lines | 1.126 | 1 < γ |  |",
	)
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

func TestMissingDataAtTheTop(t *testing.T) {
	claims.ResetMissingData()
	t.Cleanup(claims.ResetMissingData)
	nf := &data.NotFoundError{Name: "fashion-mnist", Tried: []string{"./data/fashion-mnist (./data): no such folder", "Debian package: no such folder"}}
	note := claims.NoteMissingData("C7", "fashion-mnist", fmt.Errorf("experiment: %w", nf))
	for _, want := range []string{"./data/fashion-mnist (./data): no such folder; Debian package: no such folder", "data fetch fashion-mnist"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q (the whole tried list, on one line)", note, want)
		}
	}
	if strings.Contains(note, "\n") {
		t.Errorf("note has a newline: %q", note)
	}
	o := claims.Options{Run: experiment.Options{CacheDir: t.TempDir()}}
	md := Markdown(o, nil, Summary{})
	want := "- C7 skipped fashion-mnist: fetch with `go run ./cmd/noisecurv data fetch fashion-mnist`"
	if i, j := strings.Index(md, want), strings.Index(md, "## Verdicts"); i < 0 || i > j {
		t.Errorf("Markdown does not name the skipped claim above the verdicts:\n%s", md)
	}
	dir := t.TempDir()
	if err := WriteReport(dir, o, nil); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if i, j := strings.Index(string(page), "C7 skipped fashion-mnist"), strings.Index(string(page), "Claims, fast preset"); i < 0 || i > j {
		t.Errorf("the report does not name the skipped claim above its summary table")
	}
}

// TestAddCells: cells from another cache replace those of the same name and append the
// others; Table 1 then shows the added row with its wall time and says where it came from,
// and a summary of the other preset is refused.
func TestAddCells(t *testing.T) {
	cell := func(name, model string, seed uint64, gamma, secs float64) CellSummary {
		return CellSummary{Name: name, Dataset: "mnist", Model: model, Loss: "ce", Classes: 10, Seed: seed, NPrime: 1000, TrainAcc: 1,
			Gamma: map[string]float64{"C/v1": gamma}, Precision: "float32", Backend: "openblas", TrainSecs: secs}
	}
	s := Summary{Preset: "paper", Cells: []CellSummary{cell("mlp-s0", "mlp", 0, 1.1, 0), cell("mlp-s1", "mlp", 1, 1.2, 0)}}
	added, replaced := s.AddCells([]CellSummary{cell("mlp-s1", "mlp", 1, 1.3, 60), cell("cnn-s0", "cnn", 0, 1.5, 4000)})
	if added != 1 || replaced != 1 || len(s.Cells) != 3 || s.Cells[1].Gamma["C/v1"] != 1.3 || s.Cells[2].Name != "cnn-s0" {
		t.Fatalf("AddCells: added %d replaced %d, cells %+v", added, replaced, s.Cells)
	}
	s.Added = []string{"`report --add-cells` at commit abc"}
	tab := s.Table1()
	expectLines(t, "Table1", tab,
		"| MNIST MLP CE, C'=10 | 1.200 ± 0.141 |",
		"| 0,1 | 1.000 | 1000 | 1m00s (1 of 2 seeds), float32 openblas |",
		"| MNIST CNN CE, C'=10 | 1.500 |",
		"| 0 | 1.000 | 1000 | 1h06m, float32 openblas |",
		"; cells added by `report --add-cells` at commit abc.",
	)
	if _, _, err := s.AddCachedCells(claims.Options{}); err == nil || !strings.Contains(err.Error(), "paper preset") {
		t.Errorf("adding fast-preset cells to the paper summary: err %v", err)
	}
}

// expectLines fails t for each of wants that text (what name rendered) does not contain.
func expectLines(t *testing.T, name, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", name, want, text)
		}
	}
}
