package experiment

import (
	"strings"

	"github.com/noisecurv/noisecurv/lib/commute"
)

// Window returns the metrics of the window whose name starts with prefix ("full", "top",
// "bulk") and its Haar baseline; ok is false when the summary has no such window or no
// baseline for it.
func (s CommuteSummary) Window(prefix string) (w commute.WindowMetrics, haar commute.BaselineMetrics, ok bool) {
	for i, w := range s.Windows {
		if strings.HasPrefix(w.Window.Name, prefix) && i < len(s.Random) {
			return w, s.Random[i], true
		}
	}
	return commute.WindowMetrics{}, commute.BaselineMetrics{}, false
}
