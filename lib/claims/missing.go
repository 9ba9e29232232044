package claims

import (
	"fmt"
	"html"
	"sort"
	"strings"
	"sync"

	"github.com/noisecurv/noisecurv/lib/data"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// missingData remembers, for the report's first section, which claims left something out
// because a dataset was not on the machine. Claims record it where they skip; RunAll clears
// it; WriteReport lists it above the summary with the command that fetches each dataset.
var missingData struct {
	sync.Mutex
	byClaim map[string]map[string]bool // claim ID -> dataset names
}

// NoteMissingData records that claim skipped work because dataset could not be loaded, and
// returns the one-line reason for the claim's own note.
func NoteMissingData(claim, dataset string, err error) string {
	missingData.Lock()
	defer missingData.Unlock()
	if missingData.byClaim == nil {
		missingData.byClaim = map[string]map[string]bool{}
	}
	if missingData.byClaim[claim] == nil {
		missingData.byClaim[claim] = map[string]bool{}
	}
	missingData.byClaim[claim][dataset] = true
	return data.Summary(err)
}

func resetMissingData() {
	missingData.Lock()
	missingData.byClaim = nil
	missingData.Unlock()
}

// missingDataText is the report's warning: one line per claim that skipped work for missing
// data, naming the dataset and the command that fetches it; "" when nothing was skipped.
func missingDataText() string {
	missingData.Lock()
	defer missingData.Unlock()
	if len(missingData.byClaim) == 0 {
		return ""
	}
	claims := make([]string, 0, len(missingData.byClaim))
	for c := range missingData.byClaim {
		claims = append(claims, c)
	}
	sort.Strings(claims)
	var b strings.Builder
	b.WriteString("Incomplete: some claims skipped work because a dataset is not on this machine.\n")
	for _, c := range claims {
		var ds []string
		for d := range missingData.byClaim[c] {
			ds = append(ds, d)
		}
		sort.Strings(ds)
		fmt.Fprintf(&b, "- %s skipped %s: fetch with `go run ./cmd/noisecurv data fetch %s`, then run this again.\n",
			c, strings.Join(ds, ", "), strings.Join(ds, " "))
	}
	return b.String()
}

// missingDataItems is missingDataText as report items (none when nothing was skipped).
func missingDataItems() []viz.Item {
	t := missingDataText()
	if t == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(t), "\n")
	for i, l := range lines {
		lines[i] = html.EscapeString(l)
	}
	return []viz.Item{viz.HTML(`<div class="noisecurv-missing" style="border:1px solid #d62728;background:#fff5f5;padding:6px 12px;margin:8px 0">` +
		strings.Join(lines, "<br>") + "</div>\n")}
}
