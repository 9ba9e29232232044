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
	read := func(dst *[]float64, fn func() (*mat.SymDense, error)) error {
		a, err := fn()
		if err == nil {
			*dst = diagOf(a, v)
		}
		return err
	}
	var out *Diagonals
	var err error
	if v != nil {
		// In a basis, everything but F and the GGN comes without a D x D matrix.
		if out, err = HVPDiagonals(p, v, batch, seed); err != nil {
			return nil, err
		}
	} else {
		out = &Diagonals{}
		if out.H, out.HessianSquare, err = HessianDiagonals(p, nil, nil); err != nil {
			return nil, err
		}
		if err := read(&out.NoiseCov, func() (*mat.SymDense, error) { return NoiseCov(p, batch) }); err != nil {
			return nil, err
		}
		if err := read(&out.MinibatchCov, func() (*mat.SymDense, error) { return MinibatchCov(p, batch, seed) }); err != nil {
			return nil, err
		}
		if err := read(&out.EmpiricalFisher, func() (*mat.SymDense, error) { return EmpiricalFisher(p) }); err != nil {
			return nil, err
		}
	}
	if err := read(&out.TrueFisher, func() (*mat.SymDense, error) { return TrueFisher(p) }); err != nil {
		return nil, err
	}
	if err := read(&out.GaussNewton, func() (*mat.SymDense, error) { return GaussNewton(p) }); err != nil {
		return nil, err
	}
	return out, nil
}

// HVPDiagonals returns, for every column v_i of v (D x k), the diagonals of H, E_p[h_p^2],
// C (Eq. 2), the minibatch estimator Covar and the empirical Fisher EF, on any block (joint
// blocks, smooth activations) and without forming any D x D matrix:
//
//	H_ii = (1/N) sum_p v_i^T h_p v_i,  [E h^2]_ii = (1/N) sum_p |h_p v_i|^2   (HessianDiagonals)
//	EF_ii = (1/N) sum_p (g_p . v_i)^2,  C_ii = (EF_ii - (g . v_i)^2)/B
//	Covar_ii = (1/n_b) sum_b (g_b . v_i)^2 - (g . v_i)^2   (g_b: minibatch means of MinibatchCov's shuffle)
//
// It costs k per-sample HVP passes over the N samples plus one N x D x k product. The true
// Fisher and the GGN are left nil (DiagonalsIn adds them). On the factorized route
// DiagonalsIn is cheaper (one gemm, no HVP passes).
func HVPDiagonals(p *Problem, v *mat.Dense, batch int, seed uint64) (*Diagonals, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("%w: HVPDiagonals: batch size %d, want > 0", ErrInput, batch)
	}
	if v == nil {
		return nil, fmt.Errorf("%w: HVPDiagonals: no directions", ErrInput)
	}
	d, err := p.Dim()
	if err != nil {
		return nil, err
	}
	if r, _ := v.Dims(); r != d {
		return nil, fmt.Errorf("%w: HVPDiagonals: directions have %d rows, the block has D = %d", ErrInput, r, d)
	}
	out := &Diagonals{}
	if out.H, out.HessianSquare, err = HessianDiagonals(p, v, nil); err != nil {
		return nil, err
	}
	G, err := PerSampleGrads(p)
	if err != nil {
		return nil, err
	}
	out.EmpiricalFisher, out.NoiseCov, out.MinibatchCov = gradDiagonals(G, v, batch, seed)
	return out, nil
}

// gradDiagonals returns EF_ii, C_ii and Covar_ii in the basis v from the per-sample
// gradients G (N x D).
func gradDiagonals(G, v *mat.Dense, batch int, seed uint64) (ef, c, covar []float64) {
	n, _ := G.Dims()
	_, k := v.Dims()
	var gv mat.Dense
	gv.Mul(G, v) // N x k: g_p . v_i
	ef, c, covar = make([]float64, k), make([]float64, k), make([]float64, k)
	mean := make([]float64, k)
	for r := 0; r < n; r++ {
		for i, x := range rowOf(&gv, r) {
			ef[i] += x * x / float64(n)
			mean[i] += x / float64(n)
		}
	}
	var bv mat.Dense
	bv.Mul(batchMeans(G, batch, seed), v) // n_b x k: g_b . v_i
	nb, _ := bv.Dims()
	for b := 0; b < nb; b++ {
		for i, x := range rowOf(&bv, b) {
			covar[i] += x * x / float64(nb)
		}
	}
	for i, m := range mean {
		c[i] = (ef[i] - m*m) / float64(batch)
		covar[i] -= m * m
	}
	return ef, c, covar
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
