package awd_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/awd"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// The dual weight change of a 2 x 3 layer: (W + dW*) a equals W a'.
func ExampleDualWeight() {
	w := mat.NewDense(2, 3, []float64{1, 0, 2, -1, 1, 0})
	a := []float64{1, 1, 0}
	aPrime := []float64{1, 2, 1}
	dw, _ := awd.DualWeight(w, a, aPrime)
	fmt.Printf("dW* = %v\n", mat.Formatted(dw, mat.Prefix("      "), mat.Squeeze()))
	var sum mat.Dense
	sum.Add(w, dw)
	var z, zp mat.VecDense
	z.MulVec(&sum, mat.NewVecDense(3, a))
	zp.MulVec(w, mat.NewVecDense(3, aPrime))
	fmt.Println("(W+dW*) a =", z.RawVector().Data, " W a' =", zp.RawVector().Data)
	// Output:
	// dW* = ⎡  1    1  0⎤
	//       ⎣0.5  0.5  0⎦
	// (W+dW*) a = [3 1]  W a' = [3 1]
}

// Analyze a small random ReLU network: the AWD terms in H's eigenbasis and the fitted
// proportionality between the same-sample C^hh and E_p[h_p^2].
func ExampleAnalyze() {
	model, _ := nn.Build(nn.MLP(8, []int{6, 5}, 3, "relu"), 1)
	rng := rand.New(rand.NewPCG(2, 2^0x9E3779B97F4A7C15))
	n := 90
	x := mat.NewDense(n, 8, nil)
	labels := make([]int, n)
	for p := 0; p < n; p++ {
		labels[p] = p % 3
		for j := 0; j < 8; j++ {
			x.Set(p, j, rng.NormFloat64()+float64(labels[p]))
		}
	}
	loss, _ := nn.LossByName("ce")
	prob := &curv.Problem{Model: model, Loss: loss, X: x, Labels: labels,
		Block: nn.Block{Layers: []string{"fc2"}}}
	res, err := awd.Analyze(prob, awd.Options{
		Match:      awd.MatchOptions{Batch: 30, Anchors: 5, Seed: 1},
		NoiseBatch: 10,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("N = %d, D = %d, matching batches = %d, unmatched = %d\n",
		res.N, res.D, len(res.Matching.Batches), res.Unmatched)
	// The decomposition: Total = C^hh + 2 C^hg + C^gg, direction by direction.
	i := 0
	fmt.Println("Total_00 = HH + 2 HG + GG:",
		math.Abs(res.Diag.Total[i]-(res.Diag.HH[i]+2*res.Diag.HG[i]+res.Diag.GG[i])) < 1e-12*res.Diag.Total[i])
	fmt.Println("sigma_w^2 > 0:", res.SigmaW2 > 0)
	// Directions where a diagonal is not positive (H's null space) are dropped by the fit.
	if f, ok := res.Fit("HHSD~Eh2"); ok {
		fmt.Println("C^hh,SD ~ E[h^2]^gamma with 0.5 < gamma < 2:", f.Slope > 0.5 && f.Slope < 2)
	}
	// Output:
	// N = 90, D = 30, matching batches = 3, unmatched = 0
	// Total_00 = HH + 2 HG + GG: true
	// sigma_w^2 > 0: true
	// C^hh,SD ~ E[h^2]^gamma with 0.5 < gamma < 2: true
}
