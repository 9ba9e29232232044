package curv_test

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// Example measures H, C and E_p[h_p^2] of the hidden 6 x 5 layer of a small ReLU MLP on 50
// random samples and checks the bound H_ii^2 <= [E h^2]_ii in H's eigenbasis.
func Example() {
	model, err := nn.Build(nn.MLP(4, []int{5, 6}, 3, nn.KindReLU), 1)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(2, 3))
	const n = 50
	x := mat.NewDense(n, 4, nil)
	labels := make([]int, n)
	for p := 0; p < n; p++ {
		for j := 0; j < 4; j++ {
			x.Set(p, j, rng.NormFloat64())
		}
		labels[p] = rng.IntN(3)
	}
	p := &curv.Problem{Model: model, Loss: nn.CrossEntropy{}, X: x, Labels: labels,
		Block: nn.Block{Layers: []string{"fc2"}}}
	a, err := curv.Analyze(p, curv.AnalysisOptions{Batch: 10, Seed: 1})
	if err != nil {
		panic(err)
	}
	ok := true
	for i := range a.H {
		ok = ok && a.H[i]*a.H[i] <= a.Eh2[i]*(1+1e-12)
	}
	fmt.Println("route:", a.Route, "D:", a.D)
	fmt.Println("eigenvalues:", len(a.Eigenvalues), "largest > 0:", a.Eigenvalues[0] > 0)
	fmt.Println("H_ii^2 <= [E h^2]_ii for all i:", ok)
	// Output:
	// route: factorized D: 30
	// eigenvalues: 30 largest > 0: true
	// H_ii^2 <= [E h^2]_ii for all i: true
}
