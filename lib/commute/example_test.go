package commute_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/commute"
)

// A = V f(Λ) Vᵀ + small noise nearly commutes with H = V Λ Vᵀ; a Haar-rotated copy of A
// with the same spectrum does not.
func ExampleCompute() {
	const d = 40
	rng := rand.New(rand.NewPCG(1, 1^0x9E3779B97F4A7C15))
	v := commute.HaarOrthogonal(d, rng) // H's eigenvectors
	lam := make([]float64, d)
	k := mat.NewSymDense(d, nil) // A in H's eigenbasis
	for i := range lam {
		lam[i] = math.Pow(10, -3*float64(i)/d)
		k.SetSym(i, i, math.Pow(lam[i], 1.5))
		for j := i + 1; j < d; j++ {
			k.SetSym(i, j, 1e-3*lam[i]*rng.NormFloat64())
		}
	}
	var av, a mat.Dense // A = V K Vᵀ
	av.Mul(v, k)
	a.Mul(&av, v.T())
	as := mat.NewSymDense(d, a.RawMatrix().Data)

	m, err := commute.Compute(as, lam, v, commute.Options{
		Windows: []commute.Window{commute.Full(d), commute.Top(10), commute.Bulk(10, 30)},
		Draws:   5, Seed: 7,
	})
	if err != nil {
		panic(err)
	}
	for i, w := range m.Data {
		r := m.Rand[i]
		fmt.Printf("%-9s commutator %.3f (random %.2f)  diag energy %.3f (random %.2f)  spearman %.2f\n",
			w.Window.Name, w.Commutator, r.Commutator.Mean, w.DiagEnergy, r.DiagEnergy.Mean, w.Spearman)
	}
	// Output:
	// full      commutator 0.004 (random 0.16)  diag energy 1.000 (random 0.23)  spearman 1.00
	// top10     commutator 0.001 (random 0.13)  diag energy 1.000 (random 0.55)  spearman 1.00
	// bulk11-30 commutator 0.005 (random 0.17)  diag energy 1.000 (random 0.39)  spearman 1.00
}

func ExampleSymlog() {
	for _, x := range []float64{-100, -1e-4, 0, 1e-4, 100} {
		fmt.Printf("%.4f ", commute.Symlog(x, 1e-3))
	}
	fmt.Println()
	// Output: -5.0000 -0.0414 0.0000 0.0414 5.0000
}
