package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/num/hyperdual"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

type blockCase struct {
	model string
	block Block
}

var blockCases = []blockCase{
	{"mlp-relu", Block{Layers: []string{"fc2"}}},
	{"mlp-relu", Block{Layers: []string{"fc1"}}},
	{"mlp-relu", Block{Layers: []string{"fc3", "fc1"}}},
	{"mlp-tanh", Block{Layers: []string{"fc2"}}},
	{"mlp-tanh", Block{Layers: []string{"fc1", "fc2"}}},
	{"mlp-relu-bias", Block{Layers: []string{"fc2"}, Bias: true}},
	{"mlp-relu-bias", Block{Layers: []string{"fc1", "fc3"}, Bias: true}},
	{"mlp-tanh-bias", Block{Layers: []string{"fc2"}, Bias: true}},
	{"mlp-tanh-bias", Block{Layers: []string{"fc2", "fc1"}, Bias: true}},
	{"mlp-tanh-bias", Block{Layers: []string{"fc3"}}},
	{"cnn", Block{Layers: []string{"fc1"}}},
	{"cnn", Block{Layers: []string{"fc1", "fc2"}}},
}

func (c blockCase) String() string {
	return fmt.Sprintf("%s/%s/bias=%v", c.model, strings.Join(c.block.Layers, "+"), c.block.Bias)
}

func TestBlockVector(t *testing.T) {
	m, err := Build(biasMLP(KindTanh), 1)
	if err != nil {
		t.Fatal(err)
	}
	b := Block{Layers: []string{"fc2", "fc1"}, Bias: true}
	n, err := m.BlockSize(b)
	if err != nil || n != 4*5+4+5*6+5 {
		t.Fatalf("BlockSize = %d, %v", n, err)
	}
	v, _ := m.BlockVector(b)
	fc2, _ := m.Layer("fc2")
	d2 := fc2.(*Dense)
	if v[0] != d2.W.Value[0] || v[20] != d2.B.Value[0] || v[24] != m.Layers[0].(*Dense).W.Value[0] {
		t.Fatal("BlockVector layout is not [W_fc2, b_fc2, W_fc1, b_fc1]")
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = float64(i)
	}
	if err := m.SetBlockVector(b, w); err != nil {
		t.Fatal(err)
	}
	back, _ := m.BlockVector(b)
	if relErr(back, w) != 0 || d2.B.Value[3] != 23 {
		t.Fatal("SetBlockVector/BlockVector do not round trip")
	}
	if err := m.SetBlockVector(b, w[1:]); err == nil || !strings.Contains(err.Error(), "length") {
		t.Errorf("short vector: %v", err)
	}

	cnn, _ := Build(tinyCNN(), 1)
	for _, c := range []struct {
		m    *Model
		b    Block
		want string
	}{
		{cnn, Block{Layers: []string{"conv1"}}, `"conv1" is conv2d`},
		{cnn, Block{Layers: []string{"fc1"}, Bias: true}, `"fc1" has no bias`},
		{cnn, Block{Layers: []string{"fc7"}}, "valid: conv1, relu1"},
		{cnn, Block{Layers: []string{"fc1", "fc1"}}, "twice"},
		{cnn, Block{}, "no layers"},
	} {
		if _, err := c.m.BlockSize(c.b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("BlockSize(%v) error %v, want %q", c.b, err, c.want)
		}
	}
}

// blockSetup returns a kink-free model, batch and block.
func blockSetup(t *testing.T, c blockCase, n int, seed uint64) (*Model, *mat.Dense, []int, int) {
	m, x, labels := smoothCase(t, modelCases[c.model], n, seed)
	D, err := m.BlockSize(c.block)
	if err != nil {
		t.Fatal(err)
	}
	return m, x, labels, D
}

func TestPerSampleGrads(t *testing.T) {
	for ci, c := range blockCases {
		for li, l := range allLosses {
			t.Run(c.String()+"/"+l.Name(), func(t *testing.T) {
				const n = 3
				m, x, labels, D := blockSetup(t, c, n, uint64(1000*ci+10*li))
				G, err := m.PerSampleGrads(x, labels, l, c.block)
				if err != nil {
					t.Fatal(err)
				}
				th, _ := m.BlockVector(c.block)
				jac := mat.NewDense(n, D, nil)
				fd.Jacobian(jac, func(dst, v []float64) {
					if err := m.SetBlockVector(c.block, v); err != nil {
						t.Fatal(err)
					}
					loss, _ := l.Eval(m.Forward(x), labels)
					copy(dst, loss)
				}, th, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
				m.SetBlockVector(c.block, th)
				e := relErr(flat(G), flat(jac))
				t.Logf("per-sample gradients vs fd: relative error %.2e", e)
				if e > fdTol {
					t.Errorf("relative error %.3g > %g", e, fdTol)
				}
				// Their sum is the block part of Backward's batch gradient.
				_, g := l.Eval(m.Forward(x), labels)
				m.ZeroGrad()
				m.Backward(g, true)
				var batch []float64
				for _, name := range c.block.Layers {
					ly, _ := m.Layer(name)
					d := ly.(*Dense)
					batch = append(batch, d.W.Grad...)
					if c.block.Bias {
						batch = append(batch, d.B.Grad...)
					}
				}
				colSum := make([]float64, D)
				addColumnSums(colSum, G)
				if e := relErr(colSum, batch); e > 1e-13 {
					t.Errorf("sum of per-sample gradients differs from Backward: %.3g", e)
				}
			})
		}
	}
}

func TestPerSampleHVPFiniteDifferences(t *testing.T) {
	for ci, c := range blockCases {
		for li, l := range allLosses {
			t.Run(c.String()+"/"+l.Name(), func(t *testing.T) {
				const n = 3
				m, x, labels, D := blockSetup(t, c, n, uint64(1000*ci+10*li+5))
				v := randVec(testkit.NewRand(uint64(ci)), D)
				hv, err := m.PerSampleHVP(x, labels, l, c.block, v)
				if err != nil {
					t.Fatal(err)
				}
				th, _ := m.BlockVector(c.block)
				// d/dt g_p(theta + t v) at t = 0, all samples at once.
				jac := mat.NewDense(n*D, 1, nil)
				fd.Jacobian(jac, func(dst, s []float64) {
					w := make([]float64, D)
					for i := range w {
						w[i] = th[i] + s[0]*v[i]
					}
					m.SetBlockVector(c.block, w)
					G, err := m.PerSampleGrads(x, labels, l, c.block)
					if err != nil {
						t.Fatal(err)
					}
					copy(dst, flat(G))
				}, []float64{0}, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
				m.SetBlockVector(c.block, th)
				e := relErr(flat(hv), flat(jac))
				t.Logf("per-sample HVP vs fd: relative error %.2e", e)
				if e > fdTol {
					t.Errorf("relative error %.3g > %g", e, fdTol)
				}
			})
		}
	}
}

// TestPerSampleHVPSymmetric checks e_i^T h_p e_j = e_j^T h_p e_i on the CNN's joint block.
func TestPerSampleHVPSymmetric(t *testing.T) {
	c := blockCase{"cnn", Block{Layers: []string{"fc1", "fc2"}}}
	m, x, labels, D := blockSetup(t, c, 2, 9)
	for _, l := range allLosses {
		cols := make([]*mat.Dense, D)
		for j := 0; j < D; j++ {
			e := make([]float64, D)
			e[j] = 1
			hv, err := m.PerSampleHVP(x, labels, l, c.block, e)
			if err != nil {
				t.Fatal(err)
			}
			cols[j] = hv
		}
		var asym, norm float64
		for p := 0; p < 2; p++ {
			for i := 0; i < D; i++ {
				for j := 0; j < D; j++ {
					asym = math.Max(asym, math.Abs(cols[j].At(p, i)-cols[i].At(p, j)))
					norm = math.Max(norm, math.Abs(cols[j].At(p, i)))
				}
			}
		}
		if asym > 1e-13*norm {
			t.Errorf("%s: per-sample Hessians not symmetric: %g (max entry %g)", l.Name(), asym, norm)
		}
	}
}

// hdLoss evaluates l_p for one sample in hyperdual arithmetic on a dense/tanh/relu network,
// with block parameter i carrying e1 part v[i] and parameter j an e2 part 1, so that the
// e1e2 part is (h_p v)_j exactly.
func hdLoss(t *testing.T, m *Model, b Block, lossName string, x []float64, y int, v []float64, j int) float64 {
	parts, _, err := m.resolve(b)
	if err != nil {
		t.Fatal(err)
	}
	at := map[int]blockPart{}
	for _, p := range parts {
		at[p.idx] = p
	}
	param := func(val float64, idx int, in bool) hyperdual.Number {
		n := hyperdual.Number{Real: val}
		if in {
			n.E1mag = v[idx]
			if idx == j {
				n.E2mag = 1
			}
		}
		return n
	}
	a := make([]hyperdual.Number, len(x))
	for i, xi := range x {
		a[i] = hyperdual.Number{Real: xi}
	}
	for i, l := range m.Layers {
		switch l := l.(type) {
		case *Dense:
			p, in := at[i]
			z := make([]hyperdual.Number, l.Out)
			for o := range z {
				for k := 0; k < l.In; k++ {
					z[o] = hyperdual.Add(z[o], hyperdual.Mul(param(l.W.Value[o*l.In+k], p.off+o*l.In+k, in), a[k]))
				}
				if l.B != nil {
					z[o] = hyperdual.Add(z[o], param(l.B.Value[o], p.off+l.Out*l.In+o, in && b.Bias))
				}
			}
			a = z
		case *Tanh:
			for k := range a {
				a[k] = hyperdual.Tanh(a[k])
			}
		case *ReLU:
			for k := range a {
				if a[k].Real <= 0 {
					a[k] = hyperdual.Number{}
				}
			}
		default:
			t.Fatalf("hdLoss: unsupported layer %s", l.Kind())
		}
	}
	C := len(a)
	mx := math.Inf(-1)
	for _, zc := range a {
		mx = math.Max(mx, zc.Real)
	}
	var s hyperdual.Number
	for _, zc := range a {
		s = hyperdual.Add(s, hyperdual.Exp(hyperdual.Sub(zc, hyperdual.Number{Real: mx})))
	}
	var loss hyperdual.Number
	switch lossName {
	case LossCE:
		loss = hyperdual.Sub(hyperdual.Add(hyperdual.Log(s), hyperdual.Number{Real: mx}), a[y])
	case LossMSE, LossLogitMSE:
		for c, zc := range a {
			r := zc
			if lossName == LossMSE {
				r = hyperdual.Mul(hyperdual.Exp(hyperdual.Sub(zc, hyperdual.Number{Real: mx})), hyperdual.Inv(s))
			}
			if c == y {
				r = hyperdual.Sub(r, hyperdual.Number{Real: 1})
			}
			loss = hyperdual.Add(loss, hyperdual.Mul(r, r))
		}
		loss = hyperdual.Scale(1/float64(C), loss)
	}
	return loss.E1E2mag
}

func TestPerSampleHVPHyperdual(t *testing.T) {
	for ci, c := range blockCases {
		if c.model == "cnn" {
			continue
		}
		for li, l := range allLosses {
			t.Run(c.String()+"/"+l.Name(), func(t *testing.T) {
				const n = 3
				m, x, labels, D := blockSetup(t, c, n, uint64(1000*ci+10*li+7))
				v := randVec(testkit.NewRand(uint64(ci)+3), D)
				hv, err := m.PerSampleHVP(x, labels, l, c.block, v)
				if err != nil {
					t.Fatal(err)
				}
				var worst float64
				for p := 0; p < n; p++ {
					want := make([]float64, D)
					for j := range want {
						want[j] = hdLoss(t, m, c.block, l.Name(), row(x, p), labels[p], v, j)
					}
					worst = math.Max(worst, relErr(row(hv, p), want))
				}
				t.Logf("per-sample HVP vs hyperdual: worst relative error %.2e", worst)
				if worst > hdTol {
					t.Errorf("relative error %.3g > %g", worst, hdTol)
				}
			})
		}
	}
}

// opaque hides a layer's R-operator methods, standing for a foreign Layer implementation.
type opaque struct{ Layer }

func TestPerSampleHVPErrors(t *testing.T) {
	m, err := Build(MLP(4, []int{3, 3}, 2, KindTanh), 1)
	if err != nil {
		t.Fatal(err)
	}
	x := randDense(testkit.NewRand(1), 2, 4, 1)
	labels := []int{0, 1}
	b := Block{Layers: []string{"fc2"}}
	if _, err := m.PerSampleHVP(x, labels, CrossEntropy{}, b, make([]float64, 8)); err == nil || !strings.Contains(err.Error(), "length 8") {
		t.Errorf("wrong v length: %v", err)
	}
	if _, err := m.PerSampleHVP(x, []int{0}, CrossEntropy{}, b, make([]float64, 9)); err == nil {
		t.Error("label count mismatch: no error")
	}
	if _, err := m.PerSampleGrads(x, []int{0, 2}, CrossEntropy{}, b); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("bad label: %v", err)
	}
	// A foreign layer before the block is fine, after it is an error naming the layer.
	m.Layers[1] = opaque{m.Layers[1]}
	if _, err := m.PerSampleHVP(x, labels, CrossEntropy{}, b, make([]float64, 9)); err != nil {
		t.Errorf("foreign layer before the block: %v", err)
	}
	m.Layers[3] = opaque{m.Layers[3]}
	_, err = m.PerSampleHVP(x, labels, CrossEntropy{}, b, make([]float64, 9))
	if err == nil || !strings.Contains(err.Error(), `"tanh2"`) {
		t.Errorf("foreign layer after the block: %v", err)
	}
}
