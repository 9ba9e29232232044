package report

import (
	"fmt"
	"html"
	"sort"
	"strings"

	"github.com/noisecurv/noisecurv/lib/claims"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// missingDataText is the report's warning: one line per claim that skipped work for missing
// data, naming the dataset and the command that fetches it; "" when nothing was skipped.
func missingDataText() string {
	missing := claims.MissingData()
	if len(missing) == 0 {
		return ""
	}
	ids := make([]string, 0, len(missing))
	for c := range missing {
		ids = append(ids, c)
	}
	sort.Strings(ids)
	var b strings.Builder
	b.WriteString("Incomplete: some claims skipped work because a dataset is not on this machine.\n")
	for _, c := range ids {
		ds := missing[c]
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
