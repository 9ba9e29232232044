package awd

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// TestDualWeightExact checks the duality l(x'; W) = l(x; W + dW*) on random networks: the
// logits (hence the loss) of x under W + dW* equal those of x' under W to rounding, for the
// target layer's output z as well. Smooth activations downstream do not matter: the identity
// is exact at the level of z.
func TestDualWeightExact(t *testing.T) {
	cases := []struct {
		name   string
		spec   nn.Spec
		target string
	}{
		{"mlp-relu", nn.MLP(9, []int{6, 5, 4}, 3, "relu"), "fc2"},
		{"mlp-tanh", nn.MLP(9, []int{6, 5, 4}, 3, "tanh"), "fc3"},
		{"cnn", nn.CNN(nn.Shape{C: 1, H: 8, W: 8}), "fc1"},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := nn.Build(c.spec, uint64(11+ci))
			if err != nil {
				t.Fatal(err)
			}
			rng := testkit.NewRand(uint64(3 + ci))
			n := 6
			x, labels := randData(rng, 2*n, c.spec.In.Size(), 3)
			k, err := m.LayerIndex(c.target)
			if err != nil {
				t.Fatal(err)
			}
			dl := m.Layers[k].(*nn.Dense)
			w := mat.NewDense(dl.Out, dl.In, append([]float64(nil), dl.W.Value...))
			logits := mat.DenseCopyOf(m.Forward(x))
			acts := mat.DenseCopyOf(m.Acts[k])
			zs := mat.DenseCopyOf(m.Acts[k+1])
			loss, _ := nn.LossByName("ce")
			lossAll, _ := loss.Eval(logits, labels)
			for i := 0; i < n; i++ {
				p, q := i, n+i // x = sample p, x' = sample q
				dw, err := DualWeight(w, acts.RawRowView(p), acts.RawRowView(q))
				if err != nil {
					t.Fatal(err)
				}
				// Minimal norm: dW* a = W da exactly, and dW* = u a^T/|a|^2 has rank one.
				mc := m.Clone()
				dc := mc.Layers[k].(*nn.Dense)
				for o := 0; o < dl.Out; o++ {
					for j := 0; j < dl.In; j++ {
						dc.W.Value[o*dl.In+j] += dw.At(o, j)
					}
				}
				xp := x.Slice(p, p+1, 0, c.spec.In.Size()).(*mat.Dense)
				got := mc.Forward(xp)
				gotZ := mc.Acts[k+1]
				if e := relVec(gotZ.RawRowView(0), zs.RawRowView(q)); e > 1e-12 {
					t.Errorf("pair %d: z(x; W+dW*) vs z(x'; W): relative error %.3g", i, e)
				}
				if e := relVec(got.RawRowView(0), logits.RawRowView(q)); e > 1e-12 {
					t.Errorf("pair %d: logits(x; W+dW*) vs logits(x'; W): relative error %.3g", i, e)
				}
				l1, _ := loss.Eval(got, []int{labels[q]})
				if e := math.Abs(l1[0]-lossAll[q]) / math.Abs(lossAll[q]); e > 1e-12 {
					t.Errorf("pair %d: loss %.17g vs %.17g (relative %.3g)", i, l1[0], lossAll[q], e)
				}
			}
		})
	}
}

// TestDualWeightMinimalNorm checks that dW* is the minimum-Frobenius-norm solution: any
// other solution dW* + N with N a = 0 is larger.
func TestDualWeightMinimalNorm(t *testing.T) {
	rng := testkit.NewRand(5)
	w := mat.NewDense(3, 4, nil)
	for i := 0; i < 3; i++ {
		for j := 0; j < 4; j++ {
			w.Set(i, j, rng.NormFloat64())
		}
	}
	a := []float64{1, -2, 0.5, 3}
	ap := []float64{0.3, 1, -1, 2}
	dw, err := DualWeight(w, a, ap)
	if err != nil {
		t.Fatal(err)
	}
	var lhs, rhs mat.VecDense
	var sum mat.Dense
	sum.Add(w, dw)
	lhs.MulVec(&sum, mat.NewVecDense(4, a))
	rhs.MulVec(w, mat.NewVecDense(4, ap))
	if e := relVec(lhs.RawVector().Data, rhs.RawVector().Data); e > 1e-14 {
		t.Fatalf("(W + dW*) a != W a': relative error %g", e)
	}
	base := mat.Norm(dw, 2)
	for trial := 0; trial < 20; trial++ {
		// N = r b^T with b orthogonal to a keeps (W + dW* + N) a = W a'.
		b := make([]float64, 4)
		for j := range b {
			b[j] = rng.NormFloat64()
		}
		c := dot(b, a) / dot(a, a)
		for j := range b {
			b[j] -= c * a[j]
		}
		var alt mat.Dense
		alt.Outer(1, mat.NewVecDense(3, []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}), mat.NewVecDense(4, b))
		alt.Add(&alt, dw)
		if mat.Norm(&alt, 2) < base {
			t.Fatalf("found a smaller solution: %g < %g", mat.Norm(&alt, 2), base)
		}
	}
	v, err := DualVector(w, a, ap)
	if err != nil {
		t.Fatal(err)
	}
	for o := 0; o < 3; o++ {
		for j := 0; j < 4; j++ {
			if v[o*4+j] != dw.At(o, j) {
				t.Fatalf("DualVector layout: v[%d] = %g, dW*[%d,%d] = %g", o*4+j, v[o*4+j], o, j, dw.At(o, j))
			}
		}
	}
	if _, err := DualWeight(w, make([]float64, 4), ap); err == nil {
		t.Error("DualWeight accepted a = 0")
	}
	if _, err := DualWeight(w, a[:3], ap); err == nil {
		t.Error("DualWeight accepted a short activity")
	}
}
