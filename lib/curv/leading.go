package curv

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Leading returns κ_p1, the leading eigenvalue of every per-sample Hessian h_p (0 for a
// sample of rank 0): how stiff each sample is.
func (s *Spectra) Leading() []float64 {
	out := make([]float64, s.N)
	for p := range out {
		if s.Rank[p] > 0 {
			out[p] = s.Kappa.At(p, 0)
		}
	}
	return out
}

// LeadingWeight returns, for every sample, Σ_i (u_p1·v_i)² over the columns v_i of v: the
// weight of h_p's leading eigenvector on those directions (0 for a sample of rank 0). For
// orthonormal v it lies in [0, 1]; a random unit vector gives k/D on k directions.
func (s *Spectra) LeadingWeight(v *mat.Dense, b Budget) ([]float64, error) {
	w, err := s.Weights(v, b)
	if err != nil {
		return nil, err
	}
	out := make([]float64, s.N)
	for p := range out {
		if s.Rank[p] == 0 {
			continue
		}
		for _, x := range w.RawRowView(p * s.K) {
			out[p] += x
		}
	}
	return out, nil
}

// LeadingRayleigh returns u_p1ᵀ H u_p1 / λ_1 = Σ_i λ_i (u_p1·v_i)² / λ_1 for every sample, with
// H = V diag(vals) Vᵀ given by all its eigenpairs (vals descending, vecs D×D): how sharp the
// landscape is along the sample's stiffest direction, in [λ_D/λ_1, 1]. The weights cost
// N·K·D floats (checked against b): call it on Spectra of K = 1 (Factors.Spectra(1)).
func (s *Spectra) LeadingRayleigh(vals []float64, vecs *mat.Dense, b Budget) ([]float64, error) {
	if _, k := vecs.Dims(); k != len(vals) || len(vals) == 0 {
		return nil, fmt.Errorf("%w: LeadingRayleigh: %d eigenvalues for %d eigenvectors", ErrInput, len(vals), k)
	}
	w, err := s.Weights(vecs, b)
	if err != nil {
		return nil, err
	}
	out := make([]float64, s.N)
	for p := range out {
		var r float64
		for i, x := range w.RawRowView(p * s.K) {
			r += vals[i] * x
		}
		out[p] = r / vals[0]
	}
	return out, nil
}

// Negatives counts the negative per-sample eigenvalues: Modes below −tol·κ_max (in Samples
// samples), Rounding those in [−tol·κ_max, 0), and MinRel the most negative κ over κ_max
// (0 when there is none). Cross-entropy's h_p are positive semi-definite; softmax+MSE's are not.
type Negatives struct {
	Modes, Samples, Rounding int
	MinRel                   float64
}

// Negatives counts the negative per-sample eigenvalues with tolerance tol (relative to κ_max).
func (s *Spectra) Negatives(tol float64) Negatives {
	kmax := s.KappaMax()
	var out Negatives
	for p := 0; p < s.N; p++ {
		neg := 0
		for m := 0; m < s.Rank[p]; m++ {
			k := s.Kappa.At(p, m)
			if k < 0 {
				out.MinRel = math.Min(out.MinRel, k/kmax)
			}
			switch {
			case k < -tol*kmax:
				neg++
			case k < 0:
				out.Rounding++
			}
		}
		out.Modes += neg
		if neg > 0 {
			out.Samples++
		}
	}
	return out
}

// Diagonals returns H_ii = E_p Σ_m κ_pm w_pmi and [E h²]_ii = E_p Σ_m κ_pm² w_pmi for every
// column v_i of v (w_pmi = (u_pm·v_i)², Aggregate): the diagonals of H and E_p[h_p²] in the
// directions v, rebuilt from the per-sample spectra alone.
func (s *Spectra) Diagonals(v *mat.Dense) (h, eh2 []float64, err error) {
	if h, err = s.Aggregate(v, s.Kappa); err != nil {
		return nil, nil, err
	}
	k2 := mat.DenseCopyOf(s.Kappa)
	k2.MulElem(k2, k2)
	if eh2, err = s.Aggregate(v, k2); err != nil {
		return nil, nil, err
	}
	return h, eh2, nil
}
