package nn_test

import (
	"fmt"
	"log"

	"github.com/noisecurv/noisecurv/lib/nn"
	"gonum.org/v1/gonum/mat"
)

// Build the paper's MNIST MLP, compute per-sample gradients of its 50x50 target layer and a
// per-sample Hessian-vector product.
func Example() {
	m, err := nn.Build(nn.MNISTMLP(), 1)
	if err != nil {
		log.Fatal(err)
	}
	x := mat.NewDense(3, 784, nil)
	for i := 0; i < 3; i++ {
		for j := 0; j < 784; j++ {
			x.Set(i, j, float64((i*784+j)%17)/17)
		}
	}
	labels := []int{3, 1, 4}
	loss, _ := nn.LossByName("ce")
	block := nn.Block{Layers: []string{nn.MNISTMLPTarget}}

	D, _ := m.BlockSize(block)
	g, err := m.PerSampleGrads(x, labels, loss, block)
	if err != nil {
		log.Fatal(err)
	}
	r, c := g.Dims()
	fmt.Printf("parameters: %d, block %v: D = %d, per-sample gradients %dx%d\n", m.NumParams(), block.Layers, D, r, c)

	// h_p v with v = the block's own weights.
	v, _ := m.BlockVector(block)
	hv, err := m.PerSampleHVP(x, labels, loss, block, v)
	if err != nil {
		log.Fatal(err)
	}
	r, c = hv.Dims()
	fmt.Printf("per-sample HVPs %dx%d\n", r, c)
	// Output:
	// parameters: 42200, block [fc2]: D = 2500, per-sample gradients 3x2500
	// per-sample HVPs 3x2500
}
