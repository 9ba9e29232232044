package claims

import (
	"sort"
	"sync"

	"github.com/noisecurv/noisecurv/lib/data"
)

// missingData remembers, for the report's first section, which claims left something out
// because a dataset was not on the machine. Claims record it where they skip
// (NoteMissingData); report.RunAll clears it (ResetMissingData); report.WriteReport lists it
// (MissingData) above the summary with the command that fetches each dataset.
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

// ResetMissingData forgets every missing dataset noted so far (before a run of the claims).
func ResetMissingData() {
	missingData.Lock()
	missingData.byClaim = nil
	missingData.Unlock()
}

// MissingData returns, per claim ID, the sorted names of the datasets it noted as missing
// since the last ResetMissingData (a copy; empty when nothing was skipped).
func MissingData() map[string][]string {
	missingData.Lock()
	defer missingData.Unlock()
	out := map[string][]string{}
	for c, set := range missingData.byClaim {
		for d := range set {
			out[c] = append(out[c], d)
		}
		sort.Strings(out[c])
	}
	return out
}
