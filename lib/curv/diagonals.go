package curv

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Diagonals holds v_i^T A v_i for a set of directions v_i (docs/science.md: "diagonal in the
// eigenbasis of H"), one slice per matrix; nil where not computed.
type Diagonals struct {
	H, HessianSquare, NoiseCov, MinibatchCov, EmpiricalFisher, TrueFisher, GaussNewton []float64
}

// DiagonalsIn returns the diagonals of H, E_p[h_p^2], C (Eq. 2, batch B), Covar (seeded,
// batch B), the empirical and true Fisher and the GGN in the basis of the columns of v (D x k,
// block layout), or in the coordinate basis when v is nil, WITHOUT forming any D x D matrix on
// the factorized route: with y_pi = V_i a~_p (one gemm per panel of directions),
//
//	v_i^T (M_p (x) a~ a~^T) v_i = y_pi^T M_p y_pi = (U_p y)^T S_p (U_p y),
//
// and C_ii = (EF_ii - (g.v_i)^2)/B, Covar_ii = mean_b (g_b.v_i)^2 - (g.v_i)^2. In the
// coordinate basis it is a sum over samples of diag(M_p) (x) (a~ o a~). H and E_p[h_p^2] of a
// single layer with a smooth activation downstream, and of joint blocks, come from one exact
// per-sample HVP pass per direction (HessianDiagonals); on joint blocks the other matrices are
// formed densely (within the budget) and read with Diag. Cost on the factorized route: about
// 2 N D k flops for k directions (one gemm).
func DiagonalsIn(p *Problem, v *mat.Dense, batch int, seed uint64) (*Diagonals, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("%w: batch size %d, want > 0", ErrInput, batch)
	}
	f, err := p.route("diagonals", false)
	if err != nil {
		return nil, err
	}
	d, err := p.Dim()
	if err != nil {
		return nil, err
	}
	if v != nil {
		if r, _ := v.Dims(); r != d {
			return nil, fmt.Errorf("%w: DiagonalsIn: directions have %d rows, want D = %d", ErrInput, r, d)
		}
	}
	if f == nil {
		return diagonalsDense(p, v, batch, seed)
	}
	facs := []kfac{f.efFac(), f.fisherFac(), f.hessFac()}
	if f.PiecewiseLinear {
		facs = append(facs, f.h2Fac())
	}
	var vals [][]float64
	var gv []float64 // g . v_i
	g := f.Gradient()
	gb, err := f.batchGrads(batch, seed, p.Budget)
	if err != nil {
		return nil, err
	}
	nb, _ := gb.Dims()
	var cov []float64
	if v == nil {
		vals = f.kronDiagCoord(facs)
		gv = g
		cov = make([]float64, d)
		for b := 0; b < nb; b++ {
			r := rowOf(gb, b)
			for i := range cov {
				cov[i] += r[i] * r[i] / float64(nb)
			}
		}
	} else {
		vals = f.kronDiagBasis(facs, v)
		_, k := v.Dims()
		gv = make([]float64, k)
		mat.NewVecDense(k, gv).MulVec(v.T(), mat.NewVecDense(d, g))
		var gbV mat.Dense
		gbV.Mul(gb, v)
		cov = make([]float64, k)
		for b := 0; b < nb; b++ {
			for i := 0; i < k; i++ {
				t := gbV.At(b, i)
				cov[i] += t * t / float64(nb)
			}
		}
	}
	out := &Diagonals{EmpiricalFisher: vals[0], TrueFisher: vals[1], GaussNewton: vals[2]}
	out.NoiseCov = make([]float64, len(gv))
	out.MinibatchCov = cov
	for i, t := range gv {
		out.NoiseCov[i] = (vals[0][i] - t*t) / float64(batch)
		out.MinibatchCov[i] -= t * t
	}
	if f.PiecewiseLinear {
		out.H = vals[2]
		out.HessianSquare = vals[3]
	} else if out.H, out.HessianSquare, err = HessianDiagonals(p, v, nil); err != nil {
		return nil, err
	}
	return out, nil
}

func diagOf(a *mat.SymDense, v *mat.Dense) []float64 {
	if v == nil {
		n := a.SymmetricDim()
		d := make([]float64, n)
		for i := range d {
			d[i] = a.At(i, i)
		}
		return d
	}
	return Diag(a, v)
}

func diagonalsDense(p *Problem, v *mat.Dense, batch int, seed uint64) (*Diagonals, error) {
	out := &Diagonals{}
	var err error
	if out.H, out.HessianSquare, err = HessianDiagonals(p, v, nil); err != nil {
		return nil, err
	}
	for _, q := range []struct {
		dst *[]float64
		fn  func() (*mat.SymDense, error)
	}{
		{&out.NoiseCov, func() (*mat.SymDense, error) { return NoiseCov(p, batch) }},
		{&out.MinibatchCov, func() (*mat.SymDense, error) { return MinibatchCov(p, batch, seed) }},
		{&out.EmpiricalFisher, func() (*mat.SymDense, error) { return EmpiricalFisher(p) }},
		{&out.TrueFisher, func() (*mat.SymDense, error) { return TrueFisher(p) }},
		{&out.GaussNewton, func() (*mat.SymDense, error) { return GaussNewton(p) }},
	} {
		a, err := q.fn()
		if err != nil {
			return nil, err
		}
		*q.dst = diagOf(a, v)
	}
	return out, nil
}

// kronDiagBasis returns, for each factor, (1/N) sum_p y_pi^T M_p y_pi for every column v_i.
func (f *Factors) kronDiagBasis(facs []kfac, v *mat.Dense) [][]float64 {
	_, k := v.Dims()
	out := make([][]float64, len(facs))
	for q := range out {
		out[q] = make([]float64, k)
	}
	t := make([]float64, f.Classes+1)
	f.forDirections(v, func(i0, nb, st int, Y *mat.Dense) {
		rows, _ := Y.Dims()
		for r := 0; r < rows; r++ {
			y := rowOf(Y, r)
			for bi := 0; bi < nb; bi++ {
				yb := y[bi*f.Dout : (bi+1)*f.Dout]
				for q, fac := range facs {
					out[q][i0+bi] += fac.quad(st+r, f.Dout, yb, t)
				}
			}
		}
	})
	for q := range out {
		for i := range out[q] {
			out[q][i] /= float64(f.N)
		}
	}
	return out
}

// kronDiagCoord returns the coordinate diagonals (1/N) sum_p M_p[i,i] a~_j^2 (block layout).
func (f *Factors) kronDiagCoord(facs []kfac) [][]float64 {
	out := make([][]float64, len(facs))
	m := make([]float64, f.Dout*f.Dout)
	tmp := make([]float64, (f.Classes+1)*f.Dout)
	for q, fac := range facs {
		acc := make([]float64, f.D)
		for p := 0; p < f.N; p++ {
			fac.fillM(p, f.Dout, m, tmp)
			a := rowOf(f.A, p)
			for i := 0; i < f.Dout; i++ {
				mii := m[i*f.Dout+i] / float64(f.N)
				row := acc[i*f.In : (i+1)*f.In]
				for j, aj := range a {
					row[j] += mii * aj * aj
				}
			}
		}
		out[q] = f.toExt(nil, acc)
	}
	return out
}
