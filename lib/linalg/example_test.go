package linalg_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/linalg"
)

// The second moment (1/N) sum_p g_p g_p^T of per-sample gradients, stacked
// as the rows of G, is one SymRankK call, not a loop over samples; its
// eigenbasis then comes from EigSym (descending, largest component positive).
func Example() {
	g := mat.NewDense(4, 2, []float64{ // N = 4 samples, d = 2 parameters
		1, 1,
		2, 0,
		0, 2,
		-1, -1,
	})
	n, _ := g.Dims()
	var m mat.SymDense // empty: SymRankK sizes it to d x d
	linalg.SymRankK(&m, 1/float64(n), g, 0)
	fmt.Printf("M = %v\n", mat.Formatted(&m, mat.Prefix("    ")))

	vals, vecs, err := linalg.EigSym(&m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("eigenvalues %.4f\n", vals)
	fmt.Printf("V = %.4f\n", mat.Formatted(vecs, mat.Prefix("    ")))

	// Reading M in its own eigenbasis returns the eigenvalues: v_i^T M v_i.
	fmt.Printf("diag(V^T M V) %.4f\n", linalg.DiagOfVtAV(vecs, &m))
	// Output:
	// M = ⎡1.5  0.5⎤
	//     ⎣0.5  1.5⎦
	// eigenvalues [2.0000 1.0000]
	// V = ⎡ 0.7071   0.7071⎤
	//     ⎣ 0.7071  -0.7071⎦
	// diag(V^T M V) [2.0000 1.0000]
}
