package curv

import "gonum.org/v1/gonum/mat"

// BlockShare returns, for every column v_i of vecs, the fraction of |v_i|² on its first d0
// coordinates: for the eigenvectors of a joint block's Hessian (nn.Block layout), the share
// of each mode on the block's first layer. A zero column gets 0.
func BlockShare(vecs *mat.Dense, d0 int) []float64 {
	d, k := vecs.Dims()
	d0 = max(0, min(d0, d))
	out := make([]float64, k)
	for i := 0; i < k; i++ {
		var a, tot float64
		for r := 0; r < d; r++ {
			v := vecs.At(r, i)
			tot += v * v
			if r < d0 {
				a += v * v
			}
		}
		if tot > 0 {
			out[i] = a / tot
		}
	}
	return out
}

// EigenBasis returns eigenpairs of the problem's Hessian H, eigenvalues descending with the
// eigenvectors as columns: all D of them from the dense H when k <= 0 or k >= D, else the top
// k by Lanczos on the exact Hessian operator (seeded), which never forms H.
func EigenBasis(p *Problem, k int, seed uint64) ([]float64, *mat.Dense, error) {
	d, err := p.Dim()
	if err != nil {
		return nil, nil, err
	}
	if k <= 0 || k >= d {
		H, err := Hessian(p)
		if err != nil {
			return nil, nil, err
		}
		return Eigen(H)
	}
	op, err := HessianOperator(p)
	if err != nil {
		return nil, nil, err
	}
	return TopEigen(op, k, LanczosOptions{Seed: seed})
}
