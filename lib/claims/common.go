package claims

import (
	"fmt"
	"math"

	"github.com/noisecurv/noisecurv/lib/fit"
)

// fmtDigits formats v with the given number of significant digits ("n/a" for NaN).
func fmtDigits(v float64, digits int) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.*g", digits, v)
}

// fmtSlope formats a fit as "slope (R² r, n points)" with prec decimals ("n/a" for a NaN slope).
func fmtSlope(r fit.Result, prec int) string {
	if math.IsNaN(r.Slope) {
		return "n/a"
	}
	return fmt.Sprintf("%.*f (R² %.*f, n %d)", prec, r.Slope, prec, r.R2, r.N)
}
