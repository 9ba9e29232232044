package experiment

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
)

// eigenTag names the cached eigendecomposition among a run's derived entries.
const eigenTag = "c6eigen"

// eigenEntry is the on-disk form of H's eigendecomposition (eigenvectors row-major).
type eigenEntry struct {
	D          int
	Vals, Vecs []float64
}

// Eigenbasis returns the eigendecomposition of the target layer's H at the final epoch (l,
// with f its Kronecker factors) from the run's derived cache, or computes it (the dense H from
// the factors, then curv.Eigen) and stores it. The eigenvalues must agree with the run's
// stored ones to 1e-12 λ_max, so that the eigenvectors are the directions of the stored
// diagonals; a cached entry that does not is recomputed once, then reported as an error.
func (h *Handle) Eigenbasis(l *Layer, f *curv.Factors) ([]float64, *mat.Dense, error) {
	agree := func(vals []float64) bool {
		if len(vals) != len(l.H) {
			return false
		}
		scale := math.Abs(l.H[0])
		for i := range vals {
			if math.Abs(vals[i]-l.H[i]) > 1e-12*scale {
				return false
			}
		}
		return true
	}
	compute := func() (*eigenEntry, error) {
		H, err := f.Hessian(0, 0)
		if err != nil {
			return nil, fmt.Errorf("dense H: %w", err)
		}
		vals, vecs, err := curv.Eigen(H)
		if err != nil {
			return nil, err
		}
		d, _ := vecs.Dims()
		raw := make([]float64, 0, d*d)
		for i := 0; i < d; i++ {
			raw = append(raw, vecs.RawRowView(i)...)
		}
		return &eigenEntry{D: d, Vals: vals, Vecs: raw}, nil
	}
	e, err := Derived(h, eigenTag, compute)
	if err == nil && (e.D != f.D || len(e.Vecs) != e.D*e.D || !agree(e.Vals)) {
		// A stale entry: recompute it once (the decomposition needs only the factors).
		o := h.Options
		o.Recompute = true
		var fresh *Handle
		if fresh, err = Open(h.Config, o); err == nil {
			e, err = Derived(fresh, eigenTag, compute)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if e.D != f.D || len(e.Vecs) != e.D*e.D || !agree(e.Vals) {
		return nil, nil, fmt.Errorf("eigenvalues of H differ from the run's stored ones by more than 1e-12 λ_max (stale cache entry %s?)", h.DerivedKey(eigenTag))
	}
	return e.Vals, mat.NewDense(e.D, e.D, e.Vecs), nil
}
