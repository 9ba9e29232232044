package awd

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// DualWeight returns the minimal activity-weight dual of a dense layer z = W a:
//
//	dW* = (W (a' - a)) a^T / |a|^2       (Dout x Din),
//
// the minimum-Frobenius-norm solution of (W + dW) a = W a'. Because the layer's output for
// input a under W + dW* equals its output for a' under W, everything downstream agrees too:
// l(x'; W) = l(x; W + dW*) exactly when a and a' are the layer inputs of x and x' (the
// layers before the target are untouched by dW*). It fails for |a| = 0 (no dual exists
// unless W a' = 0) and for mismatched lengths.
func DualWeight(w *mat.Dense, a, aPrime []float64) (*mat.Dense, error) {
	dout, din := w.Dims()
	u, a2, err := dualFactors(w, a, aPrime)
	if err != nil {
		return nil, err
	}
	dw := mat.NewDense(dout, din, nil)
	for o := 0; o < dout; o++ {
		s := u[o] / a2
		row := dw.RawRowView(o)
		for j, aj := range a {
			row[j] = s * aj
		}
	}
	return dw, nil
}

// DualVector returns vec(dW*) in nn's block layout (row-major Dout x Din, index o*Din+j):
// dw = (W da) (x) a / |a|^2.
func DualVector(w *mat.Dense, a, aPrime []float64) ([]float64, error) {
	dw, err := DualWeight(w, a, aPrime)
	if err != nil {
		return nil, err
	}
	r := dw.RawMatrix()
	out := make([]float64, r.Rows*r.Cols)
	for o := 0; o < r.Rows; o++ {
		copy(out[o*r.Cols:(o+1)*r.Cols], r.Data[o*r.Stride:o*r.Stride+r.Cols])
	}
	return out, nil
}

// dualFactors returns u = W (a' - a) and |a|^2, the two factors of dW* = u a^T / |a|^2.
func dualFactors(w *mat.Dense, a, aPrime []float64) ([]float64, float64, error) {
	dout, din := w.Dims()
	if len(a) != din || len(aPrime) != din {
		return nil, 0, fmt.Errorf("awd: DualWeight: activities have lengths %d and %d, want the layer's input size %d", len(a), len(aPrime), din)
	}
	var a2 float64
	for _, v := range a {
		a2 += v * v
	}
	if a2 == 0 || math.IsNaN(a2) || math.IsInf(a2, 0) {
		return nil, 0, fmt.Errorf("awd: DualWeight: |a|^2 = %g, want a finite positive norm (no dual weight for a zero activity)", a2)
	}
	da := make([]float64, din)
	for j := range da {
		da[j] = aPrime[j] - a[j]
	}
	u := make([]float64, dout)
	mat.NewVecDense(dout, u).MulVec(w, mat.NewVecDense(din, da))
	return u, a2, nil
}
