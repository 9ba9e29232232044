package nn

import (
	"testing"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// benchStep times one forward + backward (parameter gradients) pass of a batch.
func benchStep(b *testing.B, spec Spec, batch int, params bool) {
	m, err := Build(spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := testkit.NewRand(2)
	x := randDense(rng, batch, spec.In.Size(), 1)
	labels := randLabels(rng, batch, 10)
	loss := CrossEntropy{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, g := loss.Eval(m.Forward(x), labels)
		if params {
			m.BackwardParams(g)
		} else {
			m.Backward(g, true)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
}

// An epoch of the paper's MNIST MLP run (20k samples, B = 50) is 400 of these steps.
func BenchmarkMNISTMLPStep50(b *testing.B)       { benchStep(b, MNISTMLP(), 50, false) }
func BenchmarkMNISTMLPStep50Params(b *testing.B) { benchStep(b, MNISTMLP(), 50, true) }
func BenchmarkCNNStep32(b *testing.B)            { benchStep(b, CNN(Shape{1, 28, 28}), 32, false) }
func BenchmarkCNNStep32Params(b *testing.B)      { benchStep(b, CNN(Shape{1, 28, 28}), 32, true) }

// BenchmarkPerSampleHVPMNIST is one exact per-sample HVP pass for the paper's target block
// (fc2, D = 2500) over 500 samples.
func BenchmarkPerSampleHVPMNIST(b *testing.B) {
	m, _ := Build(MNISTMLP(), 1)
	rng := testkit.NewRand(3)
	x := randDense(rng, 500, 784, 1)
	labels := randLabels(rng, 500, 10)
	blk := Block{Layers: []string{MNISTMLPTarget}}
	v := randVec(rng, 2500)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.PerSampleHVP(x, labels, CrossEntropy{}, blk, v); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "samples/s")
}

// benchStep32 times one float32 training step's arithmetic as Train with Precision "float32"
// runs it: forward, loss head and backward (parameter gradients) of every chunk of the
// minibatch, and the sum of the chunks' gradients.
func benchStep32(b *testing.B, spec Spec, batch int) {
	m, err := Build(spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := testkit.NewRand(2)
	x := randDense(rng, batch, spec.In.Size(), 1)
	labels := randLabels(rng, batch, 10)
	t, err := newTrainer32(m, CrossEntropy{}, x, labels, batch)
	if err != nil {
		b.Fatal(err)
	}
	defer t.release()
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = i
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.forwardLoss(idx, labels, 10)
		t.backward()
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(len(t.reps)), "chunks")
}

func BenchmarkMNISTMLPStep50F32(b *testing.B) { benchStep32(b, MNISTMLP(), 50) }
func BenchmarkCNNStep32F32(b *testing.B)      { benchStep32(b, CNN(Shape{1, 28, 28}), 32) }
