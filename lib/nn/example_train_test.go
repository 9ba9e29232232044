package nn_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/noisecurv/noisecurv/lib/nn"
	"gonum.org/v1/gonum/mat"
)

// Train a small MLP with the paper's optimizer settings (plain SGD, cosine schedule with
// eta_min = lr/100, clipping at 5), then save it, load it back and export it for NumPy.
func ExampleTrain() {
	// Three Gaussian clusters in 4 dimensions, one per class.
	rng := rand.New(rand.NewPCG(1, 1^0x9E3779B97F4A7C15))
	const n, dim, classes = 150, 4, 3
	x := mat.NewDense(n, dim, nil)
	labels := make([]int, n)
	for i := range n {
		labels[i] = i % classes
		for j := range dim {
			v := 0.5 * rng.NormFloat64()
			if j == labels[i] {
				v += 3
			}
			x.Set(i, j, v)
		}
	}

	m, err := nn.Build(nn.MLP(dim, []int{16}, classes, nn.KindReLU), 1)
	if err != nil {
		log.Fatal(err)
	}
	loss, _ := nn.LossByName("ce")
	cfg := nn.TrainConfig{
		LR: 0.1, EtaMin: 0.001, CosineTMax: 500, ClipNorm: 5,
		Batch: 10, Epochs: 20, Seed: 7, Checkpoints: []int{10},
	}
	hist, err := nn.Train(context.Background(), m, loss, x, labels, cfg,
		func(s nn.EpochStats) {
			if s.Epoch%10 == 0 {
				fmt.Printf("epoch %d: %d steps, lr %.5f\n", s.Epoch, s.Steps, s.LR)
			}
		},
		func(epoch int, m *nn.Model) error {
			fmt.Printf("checkpoint after epoch %d\n", epoch)
			return nil
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hist.Stopped)
	_, acc := nn.Evaluate(m, loss, x, labels, 64)
	fmt.Printf("train accuracy %.2f\n", acc)

	// Round trip through the binary model format.
	var buf bytes.Buffer
	if err := nn.WriteModel(&buf, m, map[string]string{"epochs": "20"}); err != nil {
		log.Fatal(err)
	}
	m2, meta, err := nn.ReadModel(&buf)
	if err != nil {
		log.Fatal(err)
	}
	_, acc2 := nn.Evaluate(m2, loss, x, labels, 64)
	fmt.Printf("reloaded (epochs=%s): accuracy %.2f\n", meta["epochs"], acc2)

	// NumPy export: np.load gives fc1.weight (16, 4), fc2.weight (3, 16), x, y, spec.
	buf.Reset()
	if err := nn.ExportNPZ(&buf, m, x, labels, nil); err != nil {
		log.Fatal(err)
	}
	r := bytes.NewReader(buf.Bytes())
	m3, x3, _, _, err := nn.ImportNPZ(r, r.Size())
	if err != nil {
		log.Fatal(err)
	}
	_, acc3 := nn.Evaluate(m3, loss, x3, labels, 64)
	fmt.Printf("from npz: accuracy %.2f\n", acc3)
	// Output:
	// epoch 10: 15 steps, lr 0.09992
	// checkpoint after epoch 10
	// epoch 20: 15 steps, lr 0.09965
	// completed 20 epochs
	// train accuracy 1.00
	// reloaded (epochs=20): accuracy 1.00
	// from npz: accuracy 1.00
}
