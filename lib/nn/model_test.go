package nn

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// tinyCNN has every layer kind: conv (bias), relu, maxpool, conv, avgpool, flatten, dense.
func tinyCNN() Spec {
	return Spec{In: Shape{2, 6, 6}, Layers: []LayerSpec{
		{Kind: KindConv2D, Out: 3, Bias: true}, {Kind: KindReLU}, {Kind: KindMaxPool},
		{Kind: KindConv2D, Out: 4, Bias: true}, {Kind: KindTanh}, {Kind: KindAvgPool},
		{Kind: KindFlatten}, {Kind: KindDense, Out: 5}, {Kind: KindReLU}, {Kind: KindDense, Out: 3},
	}}
}

func biasMLP(act string) Spec {
	return Spec{In: Shape{6, 1, 1}, Layers: []LayerSpec{
		{Kind: KindDense, Out: 5, Bias: true}, {Kind: act},
		{Kind: KindDense, Out: 4, Bias: true}, {Kind: act},
		{Kind: KindDense, Out: 3, Bias: true},
	}}
}

var modelCases = map[string]Spec{
	"mlp-relu":      MLP(6, []int{5, 4}, 3, KindReLU),
	"mlp-tanh":      MLP(6, []int{5, 4}, 3, KindTanh),
	"mlp-relu-bias": biasMLP(KindReLU),
	"mlp-tanh-bias": biasMLP(KindTanh),
	"cnn":           tinyCNN(),
}

// totalLoss is sum_p l_p.
func totalLoss(m *Model, l Loss, x *mat.Dense, labels []int) float64 {
	loss, _ := l.Eval(m.Forward(x), labels)
	return sum(loss)
}

func TestModelGradients(t *testing.T) {
	seed := uint64(1)
	for name, spec := range modelCases {
		for _, l := range allLosses {
			seed++
			t.Run(name+"/"+l.Name(), func(t *testing.T) {
				const n = 4
				m, x, labels := smoothCase(t, spec, n, seed*100)
				_, G := l.Eval(m.Forward(x), labels)
				m.ZeroGrad()
				dIn := m.Backward(G, true)
				if len(dIn) != len(m.Layers)+1 || dIn[len(m.Layers)] != G {
					t.Fatal("Backward: wrong dIn layout")
				}
				ps := m.Params()
				th := flatParams(ps)
				num := fd.Gradient(nil, func(v []float64) float64 {
					setParams(ps, v)
					return totalLoss(m, l, x, labels)
				}, th, fdSettings)
				setParams(ps, th)
				e := relErr(flatGrads(ps), num)
				t.Logf("parameter gradient relative error %.2e", e)
				if e > fdTol {
					t.Errorf("parameter gradient: relative error %.3g > %g", e, fdTol)
				}
				numX := fd.Gradient(nil, func(v []float64) float64 {
					return totalLoss(m, l, mat.NewDense(n, spec.In.Size(), append([]float64(nil), v...)), labels)
				}, flat(x), fdSettings)
				if e := relErr(flat(dIn[0]), numX); e > fdTol {
					t.Errorf("input gradient: relative error %.3g > %g", e, fdTol)
				}
				// BackwardParams gives the same parameter gradients.
				want := flatGrads(ps)
				m.ZeroGrad()
				m.Forward(x)
				m.BackwardParams(G)
				if e := relErr(flatGrads(ps), want); e > 1e-15 {
					t.Errorf("BackwardParams differs from Backward: %.3g", e)
				}
			})
		}
	}
}

func TestBuildDeterministic(t *testing.T) {
	for _, spec := range []Spec{MNISTMLP(), tinyCNN(), biasMLP(KindTanh)} {
		a, err := Build(spec, 42)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Build(spec, 42)
		c, _ := Build(spec, 43)
		va, vb, vc := flatParams(a.Params()), flatParams(b.Params()), flatParams(c.Params())
		same := true
		for i := range va {
			if math.Float64bits(va[i]) != math.Float64bits(vb[i]) {
				t.Fatalf("seed 42 twice: parameter %d differs", i)
			}
			same = same && va[i] == vc[i]
		}
		if same {
			t.Error("seeds 42 and 43 give the same parameters")
		}
	}
}

// TestInitBounds checks the PyTorch-default ranges: |W|, |b| <= 1/sqrt(fan_in), and that the
// draws fill the range (uniform, so the max is close to the bound).
func TestInitBounds(t *testing.T) {
	m, err := Build(CNN(Shape{1, 28, 28}), 7)
	if err != nil {
		t.Fatal(err)
	}
	// The fan-ins of the paper's CNN on 1×28×28 inputs: 3×3 kernels over 1, 32, 64, 128 input
	// channels, then dense layers from 128 and 20 units.
	fanIn := map[string]int{"conv1": 9, "conv2": 288, "conv3": 576, "conv4": 1152, "fc1": 128, "fc2": 20}
	checked := 0
	for _, l := range m.Layers {
		if len(l.Params()) == 0 {
			continue
		}
		n, ok := fanIn[l.Name()]
		if !ok {
			t.Fatalf("layer %s has parameters but no known fan-in", l.Name())
		}
		checked++
		bound := 1 / math.Sqrt(float64(n))
		for _, p := range l.Params() {
			var mx float64
			for _, v := range p.Value {
				mx = math.Max(mx, math.Abs(v))
			}
			if mx > bound || (len(p.Value) > 200 && mx < 0.95*bound) {
				t.Errorf("%s: max |value| %g, bound %g", p.Name, mx, bound)
			}
		}
	}
	if checked != len(fanIn) {
		t.Errorf("%d layers with parameters, want %d", checked, len(fanIn))
	}
}

func TestPresets(t *testing.T) {
	cases := []struct {
		name    string
		spec    Spec
		params  int
		target  string
		tshape  [2]int
		classes int
	}{
		{"mnist-mlp", MNISTMLP(), 784*50 + 50*50 + 50*10, MNISTMLPTarget, [2]int{50, 50}, 10},
		{"cifar-mlp", CIFARMLP(), 3072*1000 + 1000*50 + 50*50 + 50*10, CIFARMLPTarget, [2]int{50, 50}, 10},
		{"deep-mlp", DeepMNISTMLP(), 784*50 + 3*50*50 + 50*10, "fc4", [2]int{50, 50}, 10},
		{"cnn-mnist", CNN(Shape{1, 28, 28}), 32*9 + 32 + 64*32*9 + 64 + 128*64*9 + 128 + 128*128*9 + 128 + 128*20 + 20*10, CNNTarget, [2]int{20, 128}, 10},
		{"cnn-cifar", CNN(Shape{3, 32, 32}), 32*27 + 32 + 64*32*9 + 64 + 128*64*9 + 128 + 128*128*9 + 128 + 128*20 + 20*10, CNNTarget, [2]int{20, 128}, 10},
	}
	for _, c := range cases {
		m, err := Build(c.spec, 1)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := m.NumParams(); got != c.params {
			t.Errorf("%s: %d parameters, want %d", c.name, got, c.params)
		}
		l, err := m.Layer(c.target)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		d := l.(*Dense)
		if d.Out != c.tshape[0] || d.In != c.tshape[1] || d.B != nil {
			t.Errorf("%s: target %s is %dx%d bias %v", c.name, c.target, d.Out, d.In, d.B != nil)
		}
		if m.Classes() != c.classes {
			t.Errorf("%s: %d classes", c.name, m.Classes())
		}
	}
	m, _ := Build(CNN(Shape{1, 28, 28}), 1)
	var kinds []string
	for _, l := range m.Layers {
		kinds = append(kinds, l.Name())
	}
	want := "conv1 relu1 pool1 conv2 relu2 pool2 conv3 relu3 conv4 relu4 pool3 avgpool1 flatten1 fc1 relu5 fc2"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("CNN layer names:\n got %s\nwant %s", got, want)
	}
	pool3, _ := m.Layer("pool3")
	if s := pool3.OutShape(); s != (Shape{128, 3, 3}) {
		t.Errorf("pool3 output %v, want 128x3x3 (floor of 7/2)", s)
	}
}

func TestSpecErrors(t *testing.T) {
	cases := []struct {
		spec Spec
		want string
	}{
		{Spec{In: Shape{4, 1, 1}, Layers: []LayerSpec{{Kind: "dropout"}}}, `unknown kind "dropout"`},
		{Spec{In: Shape{4, 1, 1}, Layers: []LayerSpec{{Kind: KindConv2D, Out: 2}}}, "conv2d needs an image input"},
		{Spec{In: Shape{4, 1, 1}, Layers: []LayerSpec{{Kind: KindDense, Out: 0}}}, "out must be positive"},
		{Spec{In: Shape{4, 1, 1}, Layers: []LayerSpec{{Kind: KindDense, Out: -3}}}, "out must be positive"},
		{Spec{In: Shape{0, 1, 1}, Layers: []LayerSpec{{Kind: KindDense, Out: 2}}}, "input shape"},
		{Spec{In: Shape{4, 1, 1}}, "no layers"},
		{Spec{In: Shape{1, 1, 3}, Layers: []LayerSpec{{Kind: KindMaxPool}}}, "maxpool2 needs H, W >= 2"},
		{Spec{In: Shape{4, 1, 1}, Layers: []LayerSpec{{Kind: KindReLU, Out: 3}}}, "only to dense and conv2d"},
		{Spec{In: Shape{4, 1, 1}, Layers: []LayerSpec{{Kind: KindDense, Out: 2, Name: "a"}, {Kind: KindDense, Out: 2, Name: "a"}}}, `both named "a"`},
		{MLP(4, []int{3}, 2, "sigmoid"), `unknown kind "sigmoid"`},
	}
	for _, c := range cases {
		_, err := Build(c.spec, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrSpec) {
			t.Errorf("Build(%+v) error %v, want one containing %q wrapping ErrSpec", c.spec, err, c.want)
		}
	}
}

func TestLayerLookupAndClone(t *testing.T) {
	m, err := Build(MNISTMLP(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if i, err := m.LayerIndex("fc2"); err != nil || i != 2 {
		t.Errorf("LayerIndex(fc2) = %d, %v", i, err)
	}
	_, err = m.LayerIndex("fc9")
	if err == nil || !strings.Contains(err.Error(), "fc1, relu1, fc2, relu2, fc3") {
		t.Errorf("LayerIndex(fc9) error %v should list the valid names", err)
	}
	// Spec round-trips through JSON with its resolved names.
	js, err := json.Marshal(m.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var back Spec
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Layers[2].Name != "fc2" || back.In != (Shape{784, 1, 1}) {
		t.Errorf("spec JSON round trip: %s", js)
	}
	m.Params()[0].Grad[0] = 1.5
	c := m.Clone()
	if relErr(flatParams(c.Params()), flatParams(m.Params())) != 0 || c.Params()[0].Grad[0] != 1.5 {
		t.Fatal("Clone does not copy parameters and gradients")
	}
	c.Params()[0].Value[0] += 1
	if c.Params()[0].Value[0] == m.Params()[0].Value[0] {
		t.Fatal("Clone shares parameter storage")
	}
	x := randDense(testkit.NewRand(1), 3, 784, 1)
	if relErr(flat(c.Forward(x)), flat(m.Forward(x))) == 0 {
		t.Fatal("changed clone gives identical logits")
	}
}

// TestBatchSizes checks that one model serves batches of different sizes and that a batch
// is the stack of its samples.
func TestBatchSizes(t *testing.T) {
	m, err := Build(tinyCNN(), 5)
	if err != nil {
		t.Fatal(err)
	}
	x := randDense(testkit.NewRand(2), 5, tinyCNN().In.Size(), 1)
	all := mat.DenseCopyOf(m.Forward(x))
	for s := 0; s < 5; s++ {
		one := m.Forward(mat.NewDense(1, x.RawMatrix().Cols, append([]float64(nil), row(x, s)...)))
		if e := relErr(row(one, 0), row(all, s)); e > 1e-15 {
			t.Fatalf("sample %d alone differs from the batch: %g", s, e)
		}
	}
}
