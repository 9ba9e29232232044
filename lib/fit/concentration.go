package fit

import "math"

// Concentration of one diagonal spectrum on another. Given the diagonals h_i and c_i of two
// matrices in the eigenbasis of the first (H's order, sharpest direction first), these say
// how much more of c than of h the sharp directions carry. For c ∝ h every measure is 1; for
// a power law c_i ∝ h_i^γ the ratio c_i/h_i ∝ h_i^(γ−1) rises with h_i when γ > 1, so the
// contrasts exceed 1 and the cumulative share of c runs ahead of that of h. Only directions
// where both h_i and c_i are positive count (softmax+MSE's H has negative eigenvalues).

// EndContrast is median(c_i/h_i) over the sharpest fraction frac of the first n directions
// divided by the same median over their flattest fraction frac (n <= 0 or > len(h): all).
// R = 1 when c ∝ h, R ≈ (h_sharp/h_flat)^(γ−1) for a power law. NaN with fewer than 2
// usable directions.
func EndContrast(h, c []float64, n int, frac float64) float64 {
	if n <= 0 || n > len(h) {
		n = len(h)
	}
	var r []float64 // in h's order, sharpest first
	for i := 0; i < n; i++ {
		if h[i] > 0 && c[i] > 0 {
			r = append(r, c[i]/h[i])
		}
	}
	m := int(math.Round(frac * float64(len(r))))
	if len(r) < 2 || m < 1 {
		return math.NaN()
	}
	m = min(m, len(r)/2)
	return Percentile(r[:m], 50) / Percentile(r[len(r)-m:], 50)
}

// PooledContrast is c per unit h of the first k directions relative to that of directions
// k+1..n:
//
//	R = (Σ_{i≤k} c_i / Σ_{i≤k} h_i) / (Σ_{k<i≤n} c_i / Σ_{k<i≤n} h_i).
//
// R = 1 when c ∝ h; R > 1 when the sharp directions carry more c per unit h. n <= 0 or
// n > len(h) means all directions. NaN when either group is empty.
func PooledContrast(h, c []float64, k, n int) float64 {
	if n <= 0 || n > len(h) {
		n = len(h)
	}
	var ct, ht, cr, hr float64
	var nt, nr int
	for i := 0; i < n; i++ {
		if !(h[i] > 0 && c[i] > 0) {
			continue
		}
		if i < k {
			ct, ht, nt = ct+c[i], ht+h[i], nt+1
		} else {
			cr, hr, nr = cr+c[i], hr+h[i], nr+1
		}
	}
	if nt == 0 || nr == 0 {
		return math.NaN()
	}
	return (ct / ht) / (cr / hr)
}

// CumShare returns S(k) = Σ_{i≤k} max(v_i, 0) / Σ_i max(v_i, 0) for k = 1..len(v): the
// share of the total carried by the first k directions in the order given. Negative entries
// count as zero so the share stays in [0, 1]; an all-non-positive v gives NaN.
func CumShare(v []float64) []float64 {
	var tot float64
	for _, x := range v {
		if x > 0 {
			tot += x
		}
	}
	out := make([]float64, len(v))
	var run float64
	for i, x := range v {
		if x > 0 {
			run += x
		}
		if tot > 0 {
			out[i] = run / tot
		} else {
			out[i] = math.NaN()
		}
	}
	return out
}

// PositiveRatio returns the points (h_i, c_i/h_i) where both h_i and c_i are positive: c per
// unit h against h (its log-log slope is γ − 1 for c ∝ h^γ).
func PositiveRatio(h, c []float64) (x, y []float64) {
	for i := range h {
		if h[i] > 0 && c[i] > 0 {
			x = append(x, h[i])
			y = append(y, c[i]/h[i])
		}
	}
	return x, y
}
