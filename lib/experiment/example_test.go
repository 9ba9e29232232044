package experiment_test

import (
	"fmt"

	"github.com/noisecurv/noisecurv/lib/experiment"
)

// The paper's MNIST MLP cell and its fast variant: same code path, smaller target layer.
func ExampleFast() {
	c, err := experiment.Paper("mnist", "mlp", "ce", 10, 0)
	if err != nil {
		panic(err)
	}
	f := experiment.Fast(c)
	fmt.Println(c.Name(), c.Hidden, c.PerClass, c.Epochs, c.NPrime)
	fmt.Println(f.Name(), f.Hidden, f.PerClass, f.Epochs, f.NPrime)
	// Output:
	// mnist-mlp-ce-c10-s0 [50 50] 2000 100 1000
	// mnist-mlp-ce-c10-s0 [32 32] 300 30 409
}
