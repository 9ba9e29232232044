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
