package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/noisecurv/noisecurv/lib/experiment"
)

// TestReadmeMatchesSummaries fails when the README's result tables differ from what the
// committed summaries (docs/results/paper.json, fast.json) generate: regenerate them with
// `go run ./cmd/noisecurv report --readme README.md` after committing new summaries.
func TestReadmeMatchesSummaries(t *testing.T) {
	root := experiment.RepoRoot()
	paper, err := ReadSummary(filepath.Join(root, "docs", "results", "paper.json"))
	if err != nil {
		t.Fatal(err)
	}
	fast, err := ReadSummary(filepath.Join(root, "docs", "results", "fast.json"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := UpdateReadme(readme, ReadmeSections(paper, fast))
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(readme) {
		t.Errorf("README.md's generated tables differ from docs/results/*.json: run `go run ./cmd/noisecurv report --readme README.md`")
	}
}
