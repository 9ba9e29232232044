package awd

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// ErrInput is wrapped by errors about unusable inputs (bias blocks, non-factorizable
// networks, bad options).
var ErrInput = errors.New("awd: invalid input")

// sampleData holds, for every sample p of the factors, the small per-sample factors of the
// AWD vectors (rows indexed by sample):
//
//	U[p]  = u_p = W (a_q - a_p)        (Dout)   dW*_p = u_p a_p^T / |a_p|^2
//	MU[p] = M_p u_p                     (Dout)   h_p dw_p = (M_p u_p) (x) a_p
//	DA[p] = a_q - a_p                   (Din)    J_p^T g_p = delta_p (x) (a_q - a_p)
//
// ok[p] is false for samples without a partner or with a_p = 0 (their vectors are zero).
type sampleData struct {
	f       *curv.Factors
	m       *Matching
	U, MU   *mat.Dense
	DA      *mat.Dense
	ok      []bool
	zeroAct int
}

// targetWeight returns the target dense layer's W (Dout x Din) and checks that the AWD
// analysis applies: a single bias-free dense layer, piecewise linear downstream.
func targetWeight(p *curv.Problem) (*curv.Factors, *mat.Dense, error) {
	if len(p.Block.Layers) != 1 {
		return nil, nil, fmt.Errorf("%w: Block %v: the duality is defined for ONE dense layer", ErrInput, p.Block.Layers)
	}
	if p.Block.Bias {
		return nil, nil, fmt.Errorf("%w: Block.Bias is set; the AWD analysis covers bias-free target layers only (the paper's targets have no bias)", ErrInput)
	}
	f, err := p.Factors()
	if err != nil {
		return nil, nil, fmt.Errorf("awd: collecting factors: %w", err)
	}
	if !f.PiecewiseLinear {
		return nil, nil, fmt.Errorf("%w: %w: %s (h_p = M_p (x) a a^T with M_p = B^T Q B is then only the Gauss-Newton part)", ErrInput, curv.ErrNotFactorizable, f.Reason)
	}
	l, err := p.Model.Layer(f.Layer)
	if err != nil {
		return nil, nil, fmt.Errorf("awd: %w", err)
	}
	d, ok := l.(*nn.Dense)
	if !ok {
		return nil, nil, fmt.Errorf("%w: layer %q is %s, want dense", ErrInput, f.Layer, l.Kind())
	}
	w := mat.NewDense(d.Out, d.In, append([]float64(nil), d.W.Value...))
	return f, w, nil
}

// newSampleData computes u_p, M_p u_p and da_p for every matched sample.
func newSampleData(f *curv.Factors, w *mat.Dense, m *Matching) *sampleData {
	n, dout, din, C := f.N, f.Dout, f.Din, f.Classes
	s := &sampleData{f: f, m: m, U: mat.NewDense(n, dout, nil), MU: mat.NewDense(n, dout, nil),
		DA: mat.NewDense(n, din, nil), ok: make([]bool, n)}
	wr := w.RawMatrix()
	bu := make([]float64, C)
	qbu := make([]float64, C)
	for p := 0; p < n; p++ {
		q := m.Partner[p]
		if q < 0 {
			continue
		}
		a, aq := f.A.RawRowView(p), f.A.RawRowView(q)
		var a2 float64
		for _, v := range a {
			a2 += v * v
		}
		if a2 == 0 {
			s.zeroAct++
			continue
		}
		s.ok[p] = true
		da := s.DA.RawRowView(p)
		for j := range da {
			da[j] = aq[j] - a[j]
		}
		u := s.U.RawRowView(p)
		for o := 0; o < dout; o++ {
			row := wr.Data[o*wr.Stride : o*wr.Stride+din]
			var v float64
			for j, x := range row {
				v += x * da[j]
			}
			u[o] = v
		}
		// M_p u = B^T (Q (B u)), B = Jac row (Classes x Dout), Q = Q row (Classes x Classes).
		B, Q := f.Jac.RawRowView(p), f.Q.RawRowView(p)
		for c := 0; c < C; c++ {
			var v float64
			for o, x := range B[c*dout : (c+1)*dout] {
				v += x * u[o]
			}
			bu[c] = v
		}
		for c := 0; c < C; c++ {
			var v float64
			for d := 0; d < C; d++ {
				v += Q[c*C+d] * bu[d]
			}
			qbu[c] = v
		}
		mu := s.MU.RawRowView(p)
		for c := 0; c < C; c++ {
			for o, x := range B[c*dout : (c+1)*dout] {
				mu[o] += x * qbu[c]
			}
		}
	}
	return s
}

// outer writes x (x) y (row-major, index i*len(y)+j) into dst.
func outer(dst, x, y []float64) {
	n := len(y)
	for i, xi := range x {
		r := dst[i*n : (i+1)*n]
		for j, yj := range y {
			r[j] = xi * yj
		}
	}
}

// termI writes h_p dw_p = (M_p u_p) (x) a_p into dst (zero for unmatched samples).
func (s *sampleData) termI(dst []float64, p int) {
	if !s.ok[p] {
		clear(dst)
		return
	}
	outer(dst, s.MU.RawRowView(p), s.f.A.RawRowView(p))
}

// termII writes J_p^T g_p = delta_p (x) (a_q - a_p) into dst.
func (s *sampleData) termII(dst []float64, p int) {
	if !s.ok[p] {
		clear(dst)
		return
	}
	outer(dst, s.f.Delta.RawRowView(p), s.DA.RawRowView(p))
}

// exact writes the exact partner gradient difference g_q - g_p into dst.
func (s *sampleData) exact(dst []float64, p int) {
	if !s.ok[p] {
		clear(dst)
		return
	}
	q := s.m.Partner[p]
	outer(dst, s.f.Delta.RawRowView(q), s.f.A.RawRowView(q))
	dp, ap := s.f.Delta.RawRowView(p), s.f.A.RawRowView(p)
	n := len(ap)
	for i, x := range dp {
		r := dst[i*n : (i+1)*n]
		for j, y := range ap {
			r[j] -= x * y
		}
	}
}

// dw writes dw_p = u_p (x) a_p / |a_p|^2 into dst.
func (s *sampleData) dw(dst []float64, p int) {
	if !s.ok[p] {
		clear(dst)
		return
	}
	a := s.f.A.RawRowView(p)
	outer(dst, s.U.RawRowView(p), a)
	var a2 float64
	for _, v := range a {
		a2 += v * v
	}
	for i := range dst {
		dst[i] /= a2
	}
}

// Vectors are per-sample AWD vectors (one row per requested sample, block layout
// index o*Din+j). Rows of samples without a partner are zero.
type Vectors struct {
	Index []int // the samples, in row order
	// DW: dw_p = vec(dW*_p); TermI: h_p dw_p; TermII: (d dw_p/dW)^T g_p; Exact: g_q - g_p.
	DW, TermI, TermII, Exact *mat.Dense
}

// PerSampleVectors returns the AWD vectors of the samples idx (nil = all) for a matching m
// of the problem's samples (Match on the target layer's input). Memory: 4 len(idx) D floats.
func PerSampleVectors(p *curv.Problem, m *Matching, idx []int) (*Vectors, error) {
	f, w, err := targetWeight(p)
	if err != nil {
		return nil, err
	}
	if len(m.Partner) != f.N {
		return nil, fmt.Errorf("%w: matching has %d samples, problem has %d", ErrInput, len(m.Partner), f.N)
	}
	if idx == nil {
		idx = make([]int, f.N)
		for i := range idx {
			idx[i] = i
		}
	}
	for _, i := range idx {
		if i < 0 || i >= f.N {
			return nil, fmt.Errorf("%w: sample index %d out of range [0, %d)", ErrInput, i, f.N)
		}
	}
	s := newSampleData(f, w, m)
	v := &Vectors{Index: append([]int(nil), idx...)}
	n := len(idx)
	v.DW, v.TermI, v.TermII, v.Exact = mat.NewDense(n, f.D, nil), mat.NewDense(n, f.D, nil), mat.NewDense(n, f.D, nil), mat.NewDense(n, f.D, nil)
	for r, i := range idx {
		s.dw(v.DW.RawRowView(r), i)
		s.termI(v.TermI.RawRowView(r), i)
		s.termII(v.TermII.RawRowView(r), i)
		s.exact(v.Exact.RawRowView(r), i)
	}
	return v, nil
}
