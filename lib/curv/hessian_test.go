package curv

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/nn"
)

// oracleCases covers ReLU and tanh nets, the three losses, with and without bias, and a CNN
// whose target is its dense layer.
func oracleCases() []netCase {
	var cs []netCase
	for _, loss := range []string{"ce", "mse", "logit-mse"} {
		for _, bias := range []bool{false, true} {
			cs = append(cs,
				netCase{fmt.Sprintf("relu/%s/bias=%v", loss, bias), mlpSpec(4, []int{5, 4}, 3, nn.KindReLU, bias), loss, block(bias, "fc2"), 12},
				netCase{fmt.Sprintf("tanh/%s/bias=%v", loss, bias), mlpSpec(4, []int{5, 4}, 3, nn.KindTanh, bias), loss, block(bias, "fc2"), 12},
			)
		}
	}
	cs = append(cs, netCase{"cnn/ce", smallCNN(), "ce", block(false, "fc1"), 8},
		netCase{"cnn/mse", smallCNN(), "mse", block(false, "fc1"), 8},
		netCase{"relu/ce/last", mlpSpec(4, []int{5}, 3, nn.KindReLU, true), "ce", block(true, "fc2"), 10},
		netCase{"relu/ce/joint", mlpSpec(3, []int{4, 3}, 3, nn.KindReLU, false), "ce", block(false, "fc1", "fc2"), 8},
		netCase{"tanh/mse/joint", mlpSpec(3, []int{4, 3}, 3, nn.KindTanh, true), "mse", block(true, "fc2", "fc3"), 8})
	return cs
}

// fdHessian is the finite-difference oracle: gonum's fd.Hessian of sample p's loss as a
// function of the block vector.
func fdHessian(t *testing.T, pr *Problem, p int) *mat.SymDense {
	m := pr.Model.Clone()
	w0, err := m.BlockVector(pr.Block)
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewDense(1, pr.X.RawMatrix().Cols, pr.X.RawRowView(p))
	lab := []int{pr.Labels[p]}
	f := func(w []float64) float64 {
		if err := m.SetBlockVector(pr.Block, w); err != nil {
			t.Fatal(err)
		}
		l, _ := pr.Loss.Eval(m.Forward(x), lab)
		return l[0]
	}
	h := mat.NewSymDense(len(w0), nil)
	fd.Hessian(h, f, w0, &fd.Settings{Formula: fd.Central, Step: 1e-4})
	return h
}

func TestPerSampleHessianOracles(t *testing.T) {
	for _, c := range oracleCases() {
		t.Run(c.name, func(t *testing.T) {
			pr := makeProblem(t, c, 3)
			idx := []int{0, 3, 7}
			hp := &Problem{Model: pr.Model, Loss: pr.Loss, X: pr.X, Labels: pr.Labels, Block: pr.Block, Method: HVP}
			hv, err := PerSampleHessians(hp, idx)
			if err != nil {
				t.Fatal(err)
			}
			// HVP vs finite differences.
			for r, i := range idx {
				hf := fdHessian(t, pr, i)
				e := relErr(hv[r], hf)
				if e > 1e-5 {
					t.Errorf("sample %d: HVP vs fd.Hessian rel err %.3g > 1e-5", i, e)
				}
				recordErr("per-sample/hvp-vs-fd", e)
			}
			fp := &Problem{Model: pr.Model, Loss: pr.Loss, X: pr.X, Labels: pr.Labels, Block: pr.Block, Method: Factorized}
			hf, err := PerSampleHessians(fp, idx)
			f, ferr := pr.Factors()
			if ferr != nil || !f.PiecewiseLinear {
				if err == nil {
					t.Fatalf("factorized route accepted a non-factorizable case")
				}
				t.Logf("factorized route refuses: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for r, i := range idx {
				e := relErr(hf[r], hv[r])
				if e > 1e-8 {
					t.Errorf("sample %d: factorized vs HVP rel err %.3g > 1e-8", i, e)
				}
				recordErr("per-sample/factorized-vs-hvp", e)
			}
		})
	}
}
