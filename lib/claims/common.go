package claims

import (
	"math"
	"strings"

	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/viz"
)

// vizFit converts a fit into the line viz draws, over the x range of the used points.
func vizFit(f fit.Result, x []float64) *viz.Fit {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, i := range f.Used {
		lo, hi = math.Min(lo, x[i]), math.Max(hi, x[i])
	}
	vf := &viz.Fit{Slope: f.Slope, Intercept: f.Intercept, R2: f.R2, N: f.N}
	if lo < hi {
		vf.XMin, vf.XMax = lo, hi
	}
	return vf
}

// joinOr joins s with "; ", or returns empty when s is empty.
func joinOr(s []string, empty string) string {
	if len(s) == 0 {
		return empty
	}
	return strings.Join(s, "; ")
}
