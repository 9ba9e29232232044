package curv

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Operator is a symmetric linear operator on the block's parameter space, in the style of
// curvlinops: curvature matrices as matrix-vector products, so that H, GGN, the Fishers and C
// can be swapped for one another and used by Lanczos without ever forming them.
type Operator interface {
	// Dim is the block size D.
	Dim() int
	// MulVec writes A v into dst (both of length D, block layout); dst and v must not alias.
	MulVec(dst, v []float64)
}

// DenseOperator wraps a materialized symmetric matrix.
type DenseOperator struct{ A mat.Symmetric }

// Dim implements Operator.
func (d DenseOperator) Dim() int { return d.A.SymmetricDim() }

// MulVec implements Operator.
func (d DenseOperator) MulVec(dst, v []float64) {
	n := d.Dim()
	mat.NewVecDense(n, dst).MulVec(d.A, mat.NewVecDense(n, v))
}

// Materialize forms the dense matrix of op by D matrix-vector products with the basis
// vectors (symmetrized), after checking the budget.
func Materialize(op Operator, b Budget) (*mat.SymDense, error) {
	n := op.Dim()
	if err := b.check(fmt.Sprintf("materialized operator (%d x %d)", n, n), 2*float64(n)*float64(n), "use the operator with Lanczos (TopEigen)"); err != nil {
		return nil, err
	}
	a := mat.NewDense(n, n, nil)
	e := make([]float64, n)
	col := make([]float64, n)
	for k := 0; k < n; k++ {
		e[k] = 1
		op.MulVec(col, e)
		e[k] = 0
		a.SetCol(k, col)
	}
	return symFromDense(a), nil
}

// kronOp is scale * sum_p M_p (x) a~ a~^T - gscale g g^T from factors, applied without forming
// it: with V the Dout x In reshape of v, (M_p (x) a a^T) v = vec(M_p V a a^T), so
//
//	A v = scale * vec( Z^T A~ ),  Z row p = M_p (V a~_p),  i.e. Y = A~ V^T, Z = rows M_p y_p,
//
// two N x Dout x In products plus N small r x Dout products: O(N D) per product instead of D^2.
type kronOp struct {
	f      *Factors
	fac    kfac
	scale  float64
	g      []float64 // internal layout; nil for none
	gscale float64
}

func (k *kronOp) Dim() int { return k.f.D }

func (k *kronOp) MulVec(dst, v []float64) {
	f := k.f
	vi := f.toInt(nil, v)
	V := mat.NewDense(f.Dout, f.In, vi)
	Y := mat.NewDense(f.N, f.Dout, nil)
	linalg.Gemm(false, true, 1, f.A, V, 0, Y)
	Z := mat.NewDense(f.N, f.Dout, nil)
	t, t2 := make([]float64, k.fac.r), make([]float64, k.fac.r)
	for p := 0; p < f.N; p++ {
		k.fac.apply(p, f.Dout, rowOf(Z, p), rowOf(Y, p), t, t2)
	}
	out := mat.NewDense(f.Dout, f.In, nil)
	linalg.MulTA(out, k.scale, Z, f.A, 0)
	od := out.RawMatrix().Data
	if k.g != nil {
		axpy(od, -k.gscale*dot(k.g, vi), k.g)
	}
	f.toExt(dst, od)
}

// hvpOp is H v = (1/N) sum_p h_p v by nn's exact per-sample HVPs (one forward-over-reverse pass
// over the data per product).
type hvpOp struct {
	p *Problem
	m *nn.Model
	d int
}

func (h *hvpOp) Dim() int { return h.d }

func (h *hvpOp) MulVec(dst, v []float64) {
	R, err := h.m.PerSampleHVP(h.p.X, h.p.Labels, h.p.Loss, h.p.Block, v)
	if err != nil {
		panic(fmt.Sprintf("curv: HVP operator: %v", err)) // validated at construction
	}
	copy(dst, meanRows(R))
}

// HessianOperator returns H as an operator: the Kronecker form when the factorization is
// exact, exact per-sample HVPs otherwise.
func HessianOperator(p *Problem) (Operator, error) {
	f, err := p.route("Hessian operator", true)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return &kronOp{f: f, fac: f.hessFac(), scale: 1 / float64(f.N)}, nil
	}
	d, err := p.Model.BlockSize(p.Block)
	if err != nil {
		return nil, err
	}
	return &hvpOp{p: p, m: p.Model.Clone(), d: d}, nil
}

// kronOperator returns a Fisher-family matrix as an operator: on the Kronecker route the
// factors' kfac (fac), averaged over the samples, never forming the matrix; on the general
// route the dense matrix (dense).
func kronOperator(p *Problem, what string, fac func(*Factors) kfac, dense func(*Problem) (*mat.SymDense, error)) (Operator, error) {
	f, err := p.route(what, false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return &kronOp{f: f, fac: fac(f), scale: 1 / float64(f.N)}, nil
	}
	g, err := dense(p)
	if err != nil {
		return nil, err
	}
	return DenseOperator{g}, nil
}

// GaussNewtonOperator returns the GGN as an operator (dense materialization on the general
// route).
func GaussNewtonOperator(p *Problem) (Operator, error) {
	return kronOperator(p, "Gauss-Newton operator", (*Factors).hessFac, GaussNewton)
}

// TrueFisherOperator returns the true Fisher as an operator.
func TrueFisherOperator(p *Problem) (Operator, error) {
	return kronOperator(p, "true Fisher operator", (*Factors).fisherFac, TrueFisher)
}

// EmpiricalFisherOperator returns E_p[g_p g_p^T] as an operator.
func EmpiricalFisherOperator(p *Problem) (Operator, error) {
	return kronOperator(p, "empirical Fisher operator", (*Factors).efFac, EmpiricalFisher)
}

// NoiseCovOperator returns Eq. 2's C = (1/B)(E_p[g_p g_p^T] - g g^T) as an operator.
func NoiseCovOperator(p *Problem, batch int) (Operator, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("%w: batch size %d, want > 0", ErrInput, batch)
	}
	f, err := p.route("noise covariance operator", false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return &kronOp{f: f, fac: f.efFac(), scale: 1 / (float64(f.N) * float64(batch)),
			g: f.gradInt(), gscale: 1 / float64(batch)}, nil
	}
	c, err := NoiseCov(p, batch)
	if err != nil {
		return nil, err
	}
	return DenseOperator{c}, nil
}

// HessianSquareOperator returns E_p[h_p^2] as an operator (factorized route only; use
// DenseOperator{HessianSquare(p)} otherwise).
func HessianSquareOperator(p *Problem) (Operator, error) {
	f, err := p.route("E_p[h_p^2] operator", true)
	if err != nil {
		return nil, err
	}
	if f == nil {
		h2, err := HessianSquare(p)
		if err != nil {
			return nil, err
		}
		return DenseOperator{h2}, nil
	}
	return &kronOp{f: f, fac: f.h2Fac(), scale: 1 / float64(f.N)}, nil
}
