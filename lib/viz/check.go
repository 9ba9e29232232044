package viz

import (
	"fmt"
	"math"
	"strings"
)

// checkFinite returns an error naming the builder, series and index of the first NaN/Inf.
func checkFinite(builder, series, axis string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("viz.%s: series %q: %s[%d] = %v is not finite", builder, series, axis, i, x)
		}
	}
	return nil
}

// checkPositive returns an error naming the builder, series and index of the first value
// that a log axis cannot show. Such values are never dropped silently: mask them with
// MaskPositive (or the series' Mask flag), which reports how many were removed.
func checkPositive(builder, series, axis string, v []float64) error {
	for i, x := range v {
		if !(x > 0) || math.IsInf(x, 0) {
			return fmt.Errorf("viz.%s: series %q: %s[%d] = %v is not positive, but the %s axis is logarithmic (mask such points with viz.MaskPositive or set Mask: true, which reports the count)",
				builder, series, axis, i, x, axis)
		}
	}
	return nil
}

// MaskReport counts the points that MaskPositive removed.
type MaskReport struct {
	Total       int // points given
	Kept        int // points returned
	NonFinite   int // NaN or ±Inf in x or y
	NonPositive int // finite but <= 0 on a log axis (x or y)
}

// Dropped is Total - Kept.
func (r MaskReport) Dropped() int { return r.Total - r.Kept }

// String says what was dropped, e.g. "kept 980/1000 (18 non-positive, 2 non-finite)".
func (r MaskReport) String() string {
	if r.Dropped() == 0 {
		return fmt.Sprintf("kept %d/%d", r.Kept, r.Total)
	}
	var parts []string
	if r.NonPositive > 0 {
		parts = append(parts, fmt.Sprintf("%d non-positive", r.NonPositive))
	}
	if r.NonFinite > 0 {
		parts = append(parts, fmt.Sprintf("%d non-finite", r.NonFinite))
	}
	return fmt.Sprintf("kept %d/%d (%s)", r.Kept, r.Total, strings.Join(parts, ", "))
}

// MaskPositive keeps the points (x_i, y_i) that a log-log chart can show: both finite and
// both > 0 when logX/logY say so. x may be nil (then the index i+1 is used as x, as for
// a spectrum vs rank). It returns new slices and a report of what was dropped.
func MaskPositive(x, y []float64, logX, logY bool) (mx, my []float64, rep MaskReport) {
	rep.Total = len(y)
	for i, yi := range y {
		xi := float64(i + 1)
		if x != nil {
			if i >= len(x) {
				break
			}
			xi = x[i]
		}
		switch {
		case math.IsNaN(xi) || math.IsInf(xi, 0) || math.IsNaN(yi) || math.IsInf(yi, 0):
			rep.NonFinite++
		case (logX && xi <= 0) || (logY && yi <= 0):
			rep.NonPositive++
		default:
			mx = append(mx, xi)
			my = append(my, yi)
		}
	}
	rep.Kept = len(my)
	return mx, my, rep
}

// Symlog applies the symmetric log transform used for the heat maps,
//
//	s(v) = sign(v) · log10(1 + |v| / linthresh),
//
// which is linear (≈ v / (linthresh·ln 10)) for |v| << linthresh and logarithmic beyond,
// so that entries spanning many decades and both signs fit one colour scale.
func Symlog(m [][]float64, linthresh float64) [][]float64 {
	if !(linthresh > 0) {
		linthresh = 1
	}
	out := make([][]float64, len(m))
	for i, row := range m {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j] = math.Copysign(math.Log10(1+math.Abs(v)/linthresh), v)
		}
	}
	return out
}

// roundSig rounds v to n significant digits (keeps heat-map JSON small).
func roundSig(v float64, n int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	e := math.Floor(math.Log10(math.Abs(v)))
	p := math.Pow(10, float64(n-1)-e)
	r := math.Round(v*p) / p
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return v
	}
	return r
}
