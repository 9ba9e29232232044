package curv

import (
	"fmt"
	"math"
	"runtime"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/parallel"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
)

// Spectra holds the per-sample eigen-decompositions h_p = sum_m kappa_pm u_pm u_pm^T of a
// factorized single dense layer in compact form (docs/science.md C6): since
// h_p = M_p (x) a~ a~^T has rank <= rank M_p <= Classes, its nonzero eigenpairs are
//
//	kappa_pm = mu_pm |a~_p|^2,  u_pm = e_pm (x) a~_p/|a~_p|,   M_p e_pm = mu_pm e_pm,
//
// so only the Dout-vectors e_pm and the inputs a~_p are stored. Modes are sorted by kappa
// descending (for softmax+MSE the trailing ones may be negative); K modes are kept per sample.
type Spectra struct {
	N, K int
	// Kappa is N x K: kappa_pm, descending in each row; entries beyond Rank[p] are 0.
	Kappa *mat.Dense
	// Rank[p] is the number of modes of sample p that are stored (<= K).
	Rank []int
	// E is N x (K*Dout): row p holds e_p1, ..., e_pK (unit vectors of the output space).
	E *mat.Dense
	// ANorm2[p] = |a~_p|^2.
	ANorm2 []float64

	f *Factors
}

// PerSampleSpectra returns the top-k modes of every h_p (k <= 0: all nonzero modes, at most
// Classes). Cost per sample: a thin QR of B_p^T (Dout x Classes) and the eigen-decomposition of
// the Classes x Classes matrix R Q_p R^T, i.e. O(Dout Classes^2) instead of O(D^3).
func PerSampleSpectra(p *Problem, k int) (*Spectra, error) {
	f, err := p.route("per-sample spectra", true)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, fmt.Errorf("%w: per-sample spectra in compact form need the factorized route (single dense layer, piecewise linear after it); use PerSampleHessians and Eigen for others", ErrNotFactorizable)
	}
	return f.Spectra(k)
}

// Spectra computes the per-sample spectra (see PerSampleSpectra).
func (f *Factors) Spectra(k int) (*Spectra, error) {
	if !f.PiecewiseLinear {
		return nil, fmt.Errorf("%w: per-sample spectra of layer %s: %s; use Method HVP with PerSampleHessians", ErrNotFactorizable, f.Layer, f.Reason)
	}
	C, dout := f.Classes, f.Dout
	if k <= 0 || k > min(C, dout) {
		k = min(C, dout)
	}
	s := &Spectra{N: f.N, K: k, Kappa: mat.NewDense(f.N, k, nil), Rank: make([]int, f.N),
		E: mat.NewDense(f.N, k*dout, nil), ANorm2: make([]float64, f.N), f: f}
	// Samples are independent: share them out to GOMAXPROCS workers, each with its own scratch.
	workers := max(1, runtime.GOMAXPROCS(0))
	errs := make([]error, workers)
	parallel.Ranges(f.N, workers, func(w, p0, p1 int) {
		errs[w] = f.spectraRange(s, k, p0, p1)
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// spectraRange fills the spectra of samples p0..p1-1 (see Spectra).
func (f *Factors) spectraRange(s *Spectra, k, p0, p1 int) error {
	C, dout := f.Classes, f.Dout
	qt := make([]float64, C*dout) // orthonormal basis vectors, rows
	R := make([]float64, C*C)     // R[a*C+c]: coefficient of basis vector a in column c of B^T
	small := mat.NewSymDense(C, nil)
	var es mat.EigenSym
	var ev mat.Dense
	idx := make([]int, C)
	for p := p0; p < p1; p++ {
		B, Q := rowOf(f.Jac, p), rowOf(f.Q, p)
		a2 := dot(rowOf(f.A, p), rowOf(f.A, p))
		s.ANorm2[p] = a2
		// Thin QR of B^T (columns = rows of B) by modified Gram-Schmidt with one
		// reorthogonalization; columns dependent to 1e-13 relative are dropped (ReLU masks
		// make B rank deficient).
		r := 0
		clear(R)
		var bmax float64
		for c := 0; c < C; c++ {
			bmax = math.Max(bmax, math.Sqrt(dot(B[c*dout:(c+1)*dout], B[c*dout:(c+1)*dout])))
		}
		for c := 0; c < C; c++ {
			v := qt[r*dout : (r+1)*dout]
			copy(v, B[c*dout:(c+1)*dout])
			for pass := 0; pass < 2; pass++ {
				for a := 0; a < r; a++ {
					qa := qt[a*dout : (a+1)*dout]
					h := dot(qa, v)
					R[a*C+c] += h
					axpy(v, -h, qa)
				}
			}
			nv := math.Sqrt(dot(v, v))
			if nv > 1e-13*bmax && nv > 0 && r < dout {
				for i := range v {
					v[i] /= nv
				}
				R[r*C+c] = nv
				r++
			}
		}
		if r == 0 {
			continue
		}
		// small = R Q R^T (r x r): M_p = Qb (R Q R^T) Qb^T with Qb = [q_1 .. q_r].
		small.Reset()
		small.ReuseAsSym(r)
		for a := 0; a < r; a++ {
			for b := a; b < r; b++ {
				var v float64
				for c := 0; c < C; c++ {
					rac := R[a*C+c]
					if rac == 0 {
						continue
					}
					for d := 0; d < C; d++ {
						v += rac * Q[c*C+d] * R[b*C+d]
					}
				}
				small.SetSym(a, b, v)
			}
		}
		if !es.Factorize(small, true) {
			return fmt.Errorf("curv: per-sample spectra: eigendecomposition of sample %d failed", p)
		}
		vals := es.Values(nil)
		ev.Reset()
		es.VectorsTo(&ev)
		id := idx[:r]
		for i := range id {
			id[i] = i
		}
		sort.Slice(id, func(x, y int) bool { return vals[id[x]] > vals[id[y]] })
		nm := min(k, r)
		s.Rank[p] = nm
		kr, er := rowOf(s.Kappa, p), rowOf(s.E, p)
		for m := 0; m < nm; m++ {
			kr[m] = vals[id[m]] * a2
			e := er[m*dout : (m+1)*dout]
			for a := 0; a < r; a++ {
				axpy(e, ev.At(a, id[m]), qt[a*dout:(a+1)*dout])
			}
		}
	}
	return nil
}

// KappaMax returns max_p kappa_p1, the largest per-sample curvature (the constant in
// [E h^2]_ii <= kappa_max H_ii for PSD h_p).
func (s *Spectra) KappaMax() float64 {
	km := math.Inf(-1)
	for p := 0; p < s.N; p++ {
		if s.Rank[p] > 0 {
			km = math.Max(km, s.Kappa.At(p, 0))
		}
	}
	return km
}

// Vector returns the full eigenvector u_pm = e_pm (x) a~_p/|a~_p| (block layout).
func (s *Spectra) Vector(p, m int) []float64 {
	f := s.f
	u := make([]float64, f.D)
	e := rowOf(s.E, p)[m*f.Dout : (m+1)*f.Dout]
	a := rowOf(f.A, p)
	na := math.Sqrt(s.ANorm2[p])
	for i := 0; i < f.Dout; i++ {
		for j := 0; j < f.In; j++ {
			u[f.extIndex(i, j)] = e[i] * a[j] / na
		}
	}
	return u
}

// forDirections calls fn(i0, Y, rows) for panels of directions: Y is rows x (nb*Dout) with
// Y[p, b*Dout+o] = (V_{i0+b} a~_p)_o, V_i the Dout x In reshape of column i of v (block
// layout). It is one gemm A~ Vt per panel and chunk of samples.
func (f *Factors) forDirections(v *mat.Dense, fn func(i0, nb, s int, Y *mat.Dense)) {
	vi := f.denseToIntRows(v)
	_, k := vi.Dims()
	const panel = 32
	chunk := max(1, min(f.N, (8<<20)/max(1, panel*f.Dout)))
	Vt := mat.NewDense(f.In, panel*f.Dout, nil)
	Y := mat.NewDense(chunk, panel*f.Dout, nil)
	for i0 := 0; i0 < k; i0 += panel {
		nb := min(panel, k-i0)
		vt := Vt.Slice(0, f.In, 0, nb*f.Dout).(*mat.Dense)
		for b := 0; b < nb; b++ {
			for o := 0; o < f.Dout; o++ {
				for j := 0; j < f.In; j++ {
					vt.Set(j, b*f.Dout+o, vi.At(o*f.In+j, i0+b))
				}
			}
		}
		for s := 0; s < f.N; s += chunk {
			e := min(f.N, s+chunk)
			yc := Y.Slice(0, e-s, 0, nb*f.Dout).(*mat.Dense)
			linalg.Mul(yc, f.A.Slice(s, e, 0, f.In).(*mat.Dense), vt)
			fn(i0, nb, s, yc)
		}
	}
}

// Weights returns w_pmi = (u_pm . v_i)^2 = (e_pm^T V_i a~_p)^2/|a~_p|^2 for every sample p,
// mode m < K and column v_i of v (D x k, block layout), as an (N*K) x k matrix with row p*K+m.
// Memory N K k floats (checked against b); Aggregate avoids it.
func (s *Spectra) Weights(v *mat.Dense, b Budget) (*mat.Dense, error) {
	_, k := v.Dims()
	if err := b.check(fmt.Sprintf("per-sample mode weights (%d x %d)", s.N*s.K, k), float64(s.N*s.K)*float64(k), "use Spectra.Aggregate"); err != nil {
		return nil, err
	}
	w := mat.NewDense(s.N*s.K, k, nil)
	dout := s.f.Dout
	s.f.forDirections(v, func(i0, nb, st int, Y *mat.Dense) {
		rows, _ := Y.Dims()
		for r := 0; r < rows; r++ {
			p := st + r
			y, er := rowOf(Y, r), rowOf(s.E, p)
			for m := 0; m < s.Rank[p]; m++ {
				e := er[m*dout : (m+1)*dout]
				for bi := 0; bi < nb; bi++ {
					t := dot(e, y[bi*dout:(bi+1)*dout])
					w.Set(p*s.K+m, i0+bi, t*t/s.ANorm2[p])
				}
			}
		}
	})
	return w, nil
}

// Aggregate returns d_i = (1/N) sum_p sum_m kappa[p,m] w_pmi for every column v_i of v, with
// kappa an N x K matrix of (possibly edited) per-sample values: kappa = s.Kappa gives H_ii
// (when K covers all modes), its elementwise square gives [E h^2]_ii. This is the
// suppression experiment's recomputation (docs/science.md C6, Fig. 5), without forming w.
func (s *Spectra) Aggregate(v *mat.Dense, kappa *mat.Dense) ([]float64, error) {
	if r, c := kappa.Dims(); r != s.N || c != s.K {
		return nil, fmt.Errorf("%w: Aggregate: kappa is %dx%d, want %dx%d", ErrInput, r, c, s.N, s.K)
	}
	if r, _ := v.Dims(); r != s.f.D {
		return nil, fmt.Errorf("%w: Aggregate: directions have %d rows, want D = %d", ErrInput, r, s.f.D)
	}
	_, k := v.Dims()
	out := make([]float64, k)
	dout := s.f.Dout
	s.f.forDirections(v, func(i0, nb, st int, Y *mat.Dense) {
		rows, _ := Y.Dims()
		for r := 0; r < rows; r++ {
			p := st + r
			y, er, kr := rowOf(Y, r), rowOf(s.E, p), rowOf(kappa, p)
			for m := 0; m < s.Rank[p]; m++ {
				e := er[m*dout : (m+1)*dout]
				c := kr[m] / s.ANorm2[p]
				for bi := 0; bi < nb; bi++ {
					t := dot(e, y[bi*dout:(bi+1)*dout])
					out[i0+bi] += c * t * t
				}
			}
		}
	})
	for i := range out {
		out[i] /= float64(s.N)
	}
	return out, nil
}

// FlatKappa returns the eigenvalues in fit.Spectra's flat layout (N*K, descending in every
// sample): a padding mode beyond Rank[p] takes the smaller of 0 and the previous mode's value
// (its weights are zero, so it never contributes; for softmax+MSE the stored modes can be
// negative and a 0 pad would break the order).
func (s *Spectra) FlatKappa() []float64 {
	n, k := s.Kappa.Dims()
	out := make([]float64, n*k)
	for p := 0; p < n; p++ {
		for m := 0; m < k; m++ {
			v := s.Kappa.At(p, m)
			if m >= s.Rank[p] {
				v = 0
				if m > 0 {
					v = math.Min(0, out[p*k+m-1])
				}
			}
			out[p*k+m] = v
		}
	}
	return out
}

// FitSpectra returns the suppression input of lib/fit for the directions v (D x dirs): the
// squared projections w_pmi = (u_pm . v_i)^2 (Weights, whose (N*K) x dirs row layout is
// fit's W layout) with the eigenvalues kappa (nil: FlatKappa). Pass the same kappa for
// every block of directions of one experiment.
func (s *Spectra) FitSpectra(kappa []float64, v *mat.Dense) (*fit.Spectra, error) {
	if kappa == nil {
		kappa = s.FlatKappa()
	}
	if len(kappa) != s.N*s.K {
		return nil, fmt.Errorf("%w: FitSpectra: kappa has %d values, want N*K = %d", ErrInput, len(kappa), s.N*s.K)
	}
	w, err := s.Weights(v, 0)
	if err != nil {
		return nil, err
	}
	r, c := w.Dims()
	raw := w.RawMatrix()
	data := raw.Data
	if raw.Stride != c {
		data = make([]float64, 0, r*c)
		for i := 0; i < r; i++ {
			data = append(data, w.RawRowView(i)...)
		}
	}
	return &fit.Spectra{N: s.N, K: s.K, Dirs: c, Kappa: kappa, W: data[:r*c]}, nil
}
