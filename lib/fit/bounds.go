package fit

import (
	"fmt"
	"math"
)

// BoundViolations describes where one inequality lhs_i <= rhs_i fails.
type BoundViolations struct {
	Name string
	// Count is the number of directions where the relative test fails (see CheckBounds),
	// Indices lists them.
	Count   int
	Indices []int
	// Max is the largest relative excess (lhs−rhs)/max(|lhs|,|rhs|) over all directions
	// (negative when the inequality holds everywhere with room to spare); ArgMax its index.
	Max    float64
	ArgMax int
	// Null of the failures lie in numerically null directions (see CheckBounds), where both
	// sides are rounding of exact zeros; Real = Count − Null are genuine failures, listed in
	// RealIdx. WorstReal is the largest relative excess among them (NaN when none).
	Null, Real int
	RealIdx    []int
	WorstReal  float64
	// RealMaxH and NullMaxH are max |H_ii| / max_j |H_jj| over the genuine and the null
	// failures: where in the spectrum they sit.
	RealMaxH, NullMaxH float64
}

// BoundReport is the result of CheckBounds (docs/science.md claim C6).
type BoundReport struct {
	N        int
	Tol      float64 // relative tolerance of the inequalities
	NullTol  float64 // null-direction threshold (0: no direction is null)
	KappaMax float64
	// Lower: H_ii² <= [E h²]_ii, which holds for any per-sample spectra.
	Lower BoundViolations
	// Upper: [E h²]_ii <= κ_max H_ii, which needs every h_p PSD with eigenvalues <= κ_max;
	// softmax+MSE can break it in near-null directions.
	Upper BoundViolations
	// NullDirs counts the numerically null directions; NullMaxH is max |H_ii|/max_j |H_jj|
	// over them.
	NullDirs int
	NullMaxH float64
	// KappaEff[i] = [E h²]_ii / H_ii, the effective curvature of direction i, on directions
	// with H_ii > 0 that are not null; NaN elsewhere.
	KappaEff []float64
}

// CheckBounds checks the two bounds of claim C6 direction by direction. h holds H_ii, eh2
// holds [E h²]_ii (same directions, same order) and kappaMax is the largest per-sample
// curvature max_{p,m} κ_pm. An inequality lhs <= rhs counts as violated at i when
// lhs − rhs > tol · max(|lhs|, |rhs|); tol (e.g. 1e-9) absorbs rounding.
//
// Null-direction rule: direction i is numerically null when |H_ii| <= null · max_j |H_jj|
// AND |[E h²]_ii| <= null · max_j |[E h²]_jj| (null = 0 makes none null). In such a direction
// both sides are rounding of exact zeros (at |H_ii| ~ 1e-21 λ_max the sign of each side is
// noise), so a failure there is counted in Null, not in Real. Errors: length mismatch, empty
// input, non-finite values, negative tol or null.
func CheckBounds(h, eh2 []float64, kappaMax, tol, null float64) (BoundReport, error) {
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
	if !(tol >= 0) || !(null >= 0) {
		return BoundReport{}, fmt.Errorf("fit: CheckBounds: tol=%v, null=%v, expected both >= 0", tol, null)
	}
	var hs, es float64
	for i := range h {
		hs = math.Max(hs, math.Abs(h[i]))
		es = math.Max(es, math.Abs(eh2[i]))
	}
	r := BoundReport{N: len(h), Tol: tol, NullTol: null, KappaMax: kappaMax, KappaEff: make([]float64, len(h))}
	r.Lower = BoundViolations{Name: "H_ii² <= [E h²]_ii", Max: math.Inf(-1), WorstReal: math.NaN()}
	r.Upper = BoundViolations{Name: "[E h²]_ii <= κ_max H_ii", Max: math.Inf(-1), WorstReal: math.NaN()}
	for i := range h {
		hRel := 0.0
		if hs > 0 {
			hRel = math.Abs(h[i]) / hs
		}
		isNull := null > 0 && math.Abs(h[i]) <= null*hs && math.Abs(eh2[i]) <= null*es
		if isNull {
			r.NullDirs++
			r.NullMaxH = math.Max(r.NullMaxH, hRel)
		}
		r.KappaEff[i] = math.NaN()
		if !isNull && h[i] > 0 {
			r.KappaEff[i] = eh2[i] / h[i]
		}
		r.Lower.check(i, h[i]*h[i], eh2[i], tol, isNull, hRel)
		r.Upper.check(i, eh2[i], kappaMax*h[i], tol, isNull, hRel)
	}
	return r, nil
}

func (v *BoundViolations) check(i int, lhs, rhs, tol float64, isNull bool, hRel float64) {
	scale := math.Max(math.Abs(lhs), math.Abs(rhs))
	var rel float64
	if scale > 0 {
		rel = (lhs - rhs) / scale
	}
	if rel > v.Max {
		v.Max, v.ArgMax = rel, i
	}
	if !(lhs-rhs > tol*scale) {
		return
	}
	v.Count++
	v.Indices = append(v.Indices, i)
	if isNull {
		v.Null++
		v.NullMaxH = math.Max(v.NullMaxH, hRel)
		return
	}
	v.Real++
	v.RealIdx = append(v.RealIdx, i)
	v.RealMaxH = math.Max(v.RealMaxH, hRel)
	if math.IsNaN(v.WorstReal) || rel > v.WorstReal {
		v.WorstReal = rel
	}
}
