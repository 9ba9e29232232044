package fit

import (
	"fmt"
	"math"
)

// BoundViolations describes where one inequality lhs_i <= rhs_i fails.
type BoundViolations struct {
	Count   int
	Indices []int // directions i where the inequality fails beyond the tolerance
	// Max is the largest relative excess (lhs−rhs)/max(|lhs|,|rhs|) over all directions
	// (negative when the inequality holds everywhere with room to spare); ArgMax its index.
	Max    float64
	ArgMax int
}

// BoundReport is the result of CheckBounds (docs/science.md claim C6).
type BoundReport struct {
	N        int
	Tol      float64
	KappaMax float64
	// Lower: H_ii² <= [E h²]_ii, which holds for any per-sample spectra.
	Lower BoundViolations
	// Upper: [E h²]_ii <= κ_max H_ii, which needs every h_p PSD with eigenvalues <= κ_max;
	// softmax+MSE can break it in near-null directions.
	Upper BoundViolations
	// KappaEff[i] = [E h²]_ii / H_ii, the effective curvature of direction i (±Inf or NaN
	// where H_ii = 0).
	KappaEff []float64
}

// CheckBounds checks the two bounds of claim C6 direction by direction. h holds H_ii,
// eh2 holds [E h²]_ii (same directions, same order) and kappaMax is the largest per-sample
// curvature max_{p,m} κ_pm. An inequality lhs <= rhs counts as violated at i when
// lhs − rhs > tol · max(|lhs|, |rhs|); tol (e.g. 1e-10) absorbs rounding. Errors: length
// mismatch, empty input, non-finite values, negative tol.
func CheckBounds(h, eh2 []float64, kappaMax, tol float64) (BoundReport, error) {
	if len(h) != len(eh2) {
		return BoundReport{}, fmt.Errorf("fit: CheckBounds: length mismatch: H has %d values, Eh2 has %d", len(h), len(eh2))
	}
	if len(h) == 0 {
		return BoundReport{}, fmt.Errorf("fit: CheckBounds: %w: no directions", ErrTooFew)
	}
	if err := checkFinite("H", h); err != nil {
		return BoundReport{}, fmt.Errorf("CheckBounds: %w", err)
	}
	if err := checkFinite("Eh2", eh2); err != nil {
		return BoundReport{}, fmt.Errorf("CheckBounds: %w", err)
	}
	if !isFinite(kappaMax) {
		return BoundReport{}, fmt.Errorf("fit: CheckBounds: kappaMax is %v, expected a finite value", kappaMax)
	}
	if !(tol >= 0) {
		return BoundReport{}, fmt.Errorf("fit: CheckBounds: tol=%v, expected >= 0", tol)
	}
	r := BoundReport{N: len(h), Tol: tol, KappaMax: kappaMax, KappaEff: make([]float64, len(h))}
	r.Lower.Max, r.Upper.Max = math.Inf(-1), math.Inf(-1)
	for i := range h {
		check(&r.Lower, i, h[i]*h[i], eh2[i], tol)
		check(&r.Upper, i, eh2[i], kappaMax*h[i], tol)
		r.KappaEff[i] = eh2[i] / h[i]
	}
	return r, nil
}

func check(v *BoundViolations, i int, lhs, rhs, tol float64) {
	scale := math.Max(math.Abs(lhs), math.Abs(rhs))
	var rel float64
	if scale > 0 {
		rel = (lhs - rhs) / scale
	}
	if rel > v.Max {
		v.Max, v.ArgMax = rel, i
	}
	if lhs-rhs > tol*scale {
		v.Count++
		v.Indices = append(v.Indices, i)
	}
}
