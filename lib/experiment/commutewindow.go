package experiment

import (
	"math"
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

// CommuteSeries follows one commutation metric over training: at each snapshot of r, the
// metric key ("commutator", "offdiag", ...: commute.WindowMetrics.Metric) of matrix q ("C",
// "Eh2") on the window named by prefix of the first target layer, and the same metric's
// Haar baseline; NaN where a snapshot lacks the matrix or the window.
func (r *Result) CommuteSeries(q, prefix, key string) (epochs, data, random []float64) {
	for _, s := range r.Snapshots {
		if len(s.Layers) == 0 {
			continue
		}
		cs, ok := s.Layers[0].Commute[q]
		d, rn := math.NaN(), math.NaN()
		if w, haar, found := cs.Window(prefix); ok && found {
			d, rn = w.Metric(key), haar.Metric(key)
		}
		epochs = append(epochs, float64(s.Epoch))
		data = append(data, d)
		random = append(random, rn)
	}
	return epochs, data, random
}

// GammaSeries follows the exponent of fit key of the first target layer over the snapshots
// of r (NaN where a snapshot lacks the fit).
func (r *Result) GammaSeries(key FitKey) (epochs, gamma []float64) {
	for _, s := range r.Snapshots {
		if len(s.Layers) == 0 {
			continue
		}
		epochs = append(epochs, float64(s.Epoch))
		gamma = append(gamma, s.Layers[0].Gamma(key))
	}
	return epochs, gamma
}
