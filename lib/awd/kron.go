package awd

import (
	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/linalg"
)

// kronSum returns scale * sum_p K_p (x) a_p a_p^T (D x D, D = Dout*Din, block layout
// (o,j) -> o*Din+j) for symmetric Dout x Dout matrices K_p, without any per-sample D x D
// matrix: with rows vech(K_p) (stacked, chunk x Dout(Dout+1)/2) and vech(a_p a_p^T)
// (chunk x Din(Din+1)/2), P = sum_p vech(K_p) vech(a a^T)^T is one gemm per chunk, and
//
//	[sum_p K_p (x) a a^T]_{(o,j),(o',j')} = P[vech(o,o'), vech(j,j')].
//
// fill(p, k) writes K_p row-major (Dout*Dout) into k and reports whether sample p takes part.
func kronSum(samples []int, a *mat.Dense, dout int, scale float64, chunk int, fill func(p int, k []float64) bool) *mat.SymDense {
	_, din := a.Dims()
	no, ni := dout*(dout+1)/2, din*(din+1)/2
	chunk = max(1, min(chunk, len(samples)))
	P := mat.NewDense(no, ni, nil)
	Ub := mat.NewDense(chunk, no, nil)
	Wb := mat.NewDense(chunk, ni, nil)
	k := make([]float64, dout*dout)
	rows := 0
	flush := func() {
		if rows == 0 {
			return
		}
		linalg.MulTA(P, 1, Ub.Slice(0, rows, 0, no).(*mat.Dense), Wb.Slice(0, rows, 0, ni).(*mat.Dense), 1)
		rows = 0
	}
	for _, p := range samples {
		clear(k)
		if !fill(p, k) {
			continue
		}
		u, w := Ub.RawRowView(rows), Wb.RawRowView(rows)
		idx := 0
		for i := 0; i < dout; i++ {
			for j := i; j < dout; j++ {
				u[idx] = k[i*dout+j]
				idx++
			}
		}
		ap := a.RawRowView(p)
		idx = 0
		for i := 0; i < din; i++ {
			for j := i; j < din; j++ {
				w[idx] = ap[i] * ap[j]
				idx++
			}
		}
		rows++
		if rows == chunk {
			flush()
		}
	}
	flush()
	d := dout * din
	vo, vi := linalg.VechIndex(dout), linalg.VechIndex(din)
	out := mat.NewSymDense(d, nil)
	raw := out.RawSymmetric()
	pr := P.RawMatrix()
	for o := 0; o < dout; o++ {
		for j := 0; j < din; j++ {
			r := o*din + j
			row := raw.Data[r*raw.Stride:]
			for o2 := o; o2 < dout; o2++ {
				prow := pr.Data[vo[o*dout+o2]*pr.Stride:]
				j0 := 0
				if o2 == o {
					j0 = j
				}
				for j2 := j0; j2 < din; j2++ {
					row[o2*din+j2] = scale * prow[vi[j*din+j2]]
				}
			}
		}
	}
	return out
}
