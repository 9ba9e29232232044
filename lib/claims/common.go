package claims

import (
	"fmt"
	"math"
	"strings"
)

// joinOr joins s with "; ", or returns empty when s is empty.
func joinOr(s []string, empty string) string {
	if len(s) == 0 {
		return empty
	}
	return strings.Join(s, "; ")
}

// fmtDigits formats v with the given number of significant digits ("n/a" for NaN).
func fmtDigits(v float64, digits int) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.*g", digits, v)
}
