package nn

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// round32 rounds every parameter of m and every entry of x to float32, so that the float64
// and float32 paths start from the same numbers and differ only by their arithmetic.
func round32(m *Model, x *mat.Dense) {
	for _, p := range m.Params() {
		for i, v := range p.Value {
			p.Value[i] = float64(float32(v))
		}
	}
	raw := x.RawMatrix().Data
	for i, v := range raw {
		raw[i] = float64(float32(v))
	}
}

// engineCases exercise every layer kind and both layout transitions: a multi-channel image
// input (rows -> planar before the first convolution), conv biases, a dense layer after a
// convolution with several channels (planar -> rows), tanh and dense biases.
var engineCases = []struct {
	name string
	spec Spec
}{
	{"mnist-mlp", MNISTMLP()},
	{"mlp-tanh-bias", Spec{In: Shape{7, 1, 1}, Layers: []LayerSpec{
		{Kind: KindDense, Out: 9, Bias: true}, {Kind: KindTanh}, {Kind: KindDense, Out: 4, Bias: true}}}},
	{"cnn-3ch", CNN(Shape{3, 8, 8})},
	{"conv-flatten-dense", Spec{In: Shape{2, 7, 5}, Layers: []LayerSpec{
		{Kind: KindConv2D, Out: 3, Bias: true}, {Kind: KindTanh}, {Kind: KindMaxPool},
		{Kind: KindConv2D, Out: 4}, {Kind: KindReLU}, {Kind: KindFlatten}, {Kind: KindDense, Out: 5, Bias: true}}}},
}

// TestEngine32MatchesFloat64 compares the float32 forward pass and parameter gradients with
// the float64 Model (whose gradients are checked against finite differences in
// layer_test.go and model_test.go) on the same float32-rounded weights and inputs. The
// float32 results must agree to float32 accuracy: relative error below 2e-5 for these
// sizes (observed: about 1e-7 to 1e-6).
func TestEngine32MatchesFloat64(t *testing.T) {
	for _, tc := range engineCases {
		for _, loss := range []Loss{CrossEntropy{}, SoftmaxMSE{}, LogitMSE{}} {
			t.Run(tc.name+"/"+loss.Name(), func(t *testing.T) {
				m, err := Build(tc.spec, 4)
				if err != nil {
					t.Fatal(err)
				}
				rng := testkit.NewRand(8)
				const n = 13
				x := randDense(rng, n, tc.spec.In.Size(), 1)
				y := randLabels(rng, n, m.Classes())
				round32(m, x)

				z64 := m.Forward(x)
				_, g := loss.Eval(z64, y)
				m.ZeroGrad()
				m.BackwardParams(g)
				want := flatGrads(m.Params())

				e, err := newEngine32(m, n+3) // capacity above the batch: buffers are sliced
				if err != nil {
					t.Fatal(err)
				}
				in := e.input(n)
				for i, v := range x.RawMatrix().Data {
					in[i] = float32(v)
				}
				z := e.forward(n)
				z32 := make([]float64, len(z))
				for i, v := range z {
					z32[i] = float64(v)
				}
				if r := relErr(z32, flat(z64)); !(r < 2e-5) {
					t.Errorf("logits: relative error %.3g", r)
				}
				head := lossHead{loss: loss}
				head.eval(z, y, m.Classes(), 1, e.dlogits(n))
				// Poison the gradients: backward must overwrite them, not add to them.
				for _, p := range e.params {
					for i := range p.g {
						p.g[i] = float32(math.NaN())
					}
				}
				e.backward(n)
				e.store()
				got := flatGrads(m.Params())
				r := relErr(got, want)
				if !(r < 2e-5) {
					t.Errorf("gradients: relative error %.3g", r)
				}
				t.Logf("gradient relative error %.2g", r)
				// store wrote exactly the float32 weights (unchanged here: they were rounded).
				for _, p := range m.Params() {
					for _, v := range p.Value {
						if float64(float32(v)) != v {
							t.Fatalf("%s holds %v, not a float32 value", p.Name, v)
						}
					}
				}
			})
		}
	}
}

// TestTrain32 trains the same model in float32 and float64: the float32 run is bit-for-bit
// reproducible, its weights are float32 values, a different seed changes them, it learns,
// and it follows the float64 trajectory closely over a few epochs.
func TestTrain32(t *testing.T) {
	rng := testkit.NewRand(5)
	const n = 61
	spec := Spec{In: Shape{2, 6, 6}, Layers: []LayerSpec{
		{Kind: KindConv2D, Out: 4, Bias: true}, {Kind: KindReLU}, {Kind: KindMaxPool},
		{Kind: KindAvgPool}, {Kind: KindFlatten}, {Kind: KindDense, Out: 3}}}
	x := randDense(rng, n, spec.In.Size(), 1)
	y := make([]int, n)
	for i := range y {
		// A learnable rule: the label is set by the sign pattern of two channel means.
		var a, b float64
		for j := 0; j < 36; j++ {
			a += x.At(i, j)
			b += x.At(i, 36+j)
		}
		switch {
		case a > 0 && b > 0:
			y[i] = 0
		case a > 0:
			y[i] = 1
		default:
			y[i] = 2
		}
	}
	cfg := TrainConfig{LR: 0.2, EtaMin: 0.002, CosineTMax: 8, Batch: 8, Epochs: 6, ClipNorm: 5, EvalTrain: true, Seed: 3}
	run := func(prec string, seed uint64) (*Model, History, []*Model) {
		m, err := Build(spec, 2)
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Precision, c.Seed = prec, seed
		c.Checkpoints = []int{2}
		var snaps []*Model
		h, err := Train(context.Background(), m, CrossEntropy{}, x, y, c, nil, func(_ int, m *Model) error {
			snaps = append(snaps, m.Clone())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return m, h, snaps
	}
	a, ha, sa := run(Float32, 3)
	b, _, sb := run(Float32, 3)
	pa, pb := flatParams(a.Params()), flatParams(b.Params())
	for i := range pa {
		if pa[i] != pb[i] {
			t.Fatalf("parameter %d: %v != %v with the same seed and precision", i, pa[i], pb[i])
		}
		if float64(float32(pa[i])) != pa[i] {
			t.Fatalf("parameter %d = %v is not a float32 value", i, pa[i])
		}
	}
	if len(sa) != 1 || relErr(flatParams(sa[0].Params()), flatParams(sb[0].Params())) != 0 {
		t.Fatal("checkpoint snapshots differ")
	}
	if relErr(flatParams(sa[0].Params()), pa) == 0 {
		t.Error("the epoch-2 checkpoint holds the final weights: the float32 weights were not synced")
	}
	c, _, _ := run(Float32, 4)
	if relErr(flatParams(c.Params()), pa) == 0 {
		t.Error("a different seed gave identical weights")
	}
	d, hd, _ := run(Float64, 3)
	first, last := ha.Epochs[0], ha.Epochs[len(ha.Epochs)-1]
	if !(last.TrainLoss < first.TrainLoss) || !(last.TrainAcc > 0.6) {
		t.Errorf("float32 training did not learn: loss %v -> %v, accuracy %v", first.TrainLoss, last.TrainLoss, last.TrainAcc)
	}
	for i := range ha.Epochs {
		l32, l64 := ha.Epochs[i].TrainLoss, hd.Epochs[i].TrainLoss
		if math.Abs(l32-l64) > 1e-4*l64 {
			t.Errorf("epoch %d: float32 train loss %v, float64 %v", i+1, l32, l64)
		}
	}
	if r := relErr(flatParams(d.Params()), pa); !(r < 1e-4) || r == 0 {
		t.Errorf("float32 vs float64 weights after %d epochs: relative difference %.3g, want (0, 1e-4)", cfg.Epochs, r)
	}
}

func TestTrain32Errors(t *testing.T) {
	x, y := trBlobs(2, 20, 4, 2)
	m := trModel(t, MLP(4, []int{5}, 2, KindReLU), 1)
	cfg := TrainConfig{LR: 0.1, Batch: 5, Epochs: 2, Precision: "float16"}
	if _, err := Train(context.Background(), m, CrossEntropy{}, x, y, cfg, nil, nil); err == nil || !strings.Contains(err.Error(), "Precision") {
		t.Errorf("Precision float16: err = %v, want one naming Precision", err)
	}
	// A huge learning rate overflows float32 long before float64: the error names the step,
	// and the model holds the last finite weights.
	cfg.Precision, cfg.LR = Float32, 1e30
	_, err := Train(context.Background(), m, CrossEntropy{}, x, y, cfg, nil, nil)
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("lr 1e30 in float32: err = %v, want a *NonFiniteError", err)
	}
	for _, v := range flatParams(m.Params()) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("the model holds a non-finite weight after %v", err)
		}
	}
}

// TestReLURanges checks relu32's kernels, bit for bit, against the rule written out (y = x
// unless x < 0, then +0; dx = dy where x > 0, else 0) on special values: ±0, ±Inf,
// denormals, NaNs of both signs. The lengths exercise the AVX kernels, their Go tails and
// the Go path alone.
func TestReLURanges(t *testing.T) {
	nan := float32(math.NaN())
	negNaN := math.Float32frombits(math.Float32bits(nan) | 1<<31)
	special := []float32{1, 1e-45, math.MaxFloat32, float32(math.Inf(1)), 0, float32(math.Copysign(0, -1)), -1e-45, -3,
		float32(math.Inf(-1)), nan, negNaN, 2.5, -0.5}
	for _, n := range []int{0, 3, 7, 8, 13, 16, 29, 64} {
		x, dy := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i] = special[(i*7)%len(special)]
			dy[i] = float32(i) + 0.25
		}
		y, dx := make([]float32, n), make([]float32, n)
		reluRange(x, y)
		reluMaskRange(x, dy, dx)
		for i, v := range x {
			want := v
			if v < 0 {
				want = 0
			}
			if math.Float32bits(y[i]) != math.Float32bits(want) {
				t.Errorf("n=%d: relu(%v) = %v, want %v", n, v, y[i], want)
			}
			wantD := float32(0)
			if v > 0 {
				wantD = dy[i]
			}
			if math.Float32bits(dx[i]) != math.Float32bits(wantD) {
				t.Errorf("n=%d: relu'(%v) dy = %v, want %v", n, v, dx[i], wantD)
			}
		}
	}
}

// withChunkMACs sets trainChunkMACs for one test.
func withChunkMACs(t *testing.T, macs int) {
	prev := trainChunkMACs
	trainChunkMACs = macs
	t.Cleanup(func() { trainChunkMACs = prev })
}

// TestTrainChunks pins the chunking rule on the paper's models: it depends on the model and
// the batch size only.
func TestTrainChunks(t *testing.T) {
	build := func(s Spec) *Model {
		m, err := Build(s, 1)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cnn, mlp := build(CNN(Shape{1, 28, 28})), build(MNISTMLP())
	if got := forwardMACs(cnn); got != 225_792+3_612_672+3_612_672+7_225_344+128*20+20*10 {
		t.Errorf("forwardMACs(CNN) = %d", got)
	}
	for _, c := range []struct {
		m     *Model
		b, k  int
		label string
	}{{cnn, 32, 2, "CNN B32"}, {cnn, 50, 2, "CNN B50"}, {cnn, 128, 8, "CNN B128"}, {cnn, 1, 1, "CNN B1"},
		{mlp, 50, 1, "MLP B50"}, {mlp, 100_000, 1, "MLP B100000 (no convolution: never chunked)"}} {
		if got := trainChunks(c.m, c.b); got != c.k {
			t.Errorf("%s: %d chunks, want %d", c.label, got, c.k)
		}
	}
}

// chunkCase is the convolutional network of the chunking tests (engineCases[3], 5 classes)
// with n random samples drawn from seed.
func chunkCase(seed uint64, n int) (Spec, *mat.Dense, []int) {
	spec := engineCases[3].spec
	rng := testkit.NewRand(seed)
	x := randDense(rng, n, spec.In.Size(), 1)
	return spec, x, randLabels(rng, n, 5)
}

// TestTrain32ChunkedStep: a minibatch split into chunks gives the per-sample losses and the
// batch gradient of one engine to float32 rounding (the GEMMs block a chunk's rows and
// columns differently, and the gradient is summed in another order): relative error below
// 1e-5 (observed about 1e-7), and the same correct count. It covers chunks that do not
// divide the batch evenly and a partial batch with fewer rows than chunks.
func TestTrain32ChunkedStep(t *testing.T) {
	const n = 23
	spec, x, y := chunkCase(12, n)
	m, err := Build(spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	step := func(chunks, rows int) ([]float64, int, []float64) {
		withChunkMACs(t, max(1, n*forwardMACs(m)/chunks))
		tr, err := newTrainer32(m, CrossEntropy{}, x, y, n)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.release()
		if len(tr.reps) != chunks {
			t.Fatalf("%d replicas, want %d", len(tr.reps), chunks)
		}
		idx := make([]int, rows)
		for i := range idx {
			idx[i] = (7 * i) % n
		}
		loss, correct := tr.forwardLoss(idx, y[:rows], 5)
		tr.backward()
		if tr.active != min(chunks, rows) {
			t.Fatalf("%d rows: %d active chunks, want %d", rows, tr.active, min(chunks, rows))
		}
		var g []float64
		for _, p := range tr.params() {
			for _, v := range p.g {
				g = append(g, float64(v))
			}
		}
		return append(tr.losses[:rows:rows], loss), correct, g
	}
	for _, rows := range []int{n, 3} {
		l1, c1, g1 := step(1, rows)
		for _, k := range []int{2, 4} {
			lk, ck, gk := step(k, rows)
			if r := relErr(lk, l1); !(r < 1e-5) || ck != c1 {
				t.Errorf("%d rows, %d chunks: losses relative error %.3g, correct %d vs %d", rows, k, r, ck, c1)
			}
			if r := relErr(gk, g1); !(r < 1e-5) {
				t.Errorf("%d rows, %d chunks: gradient relative error %.3g", rows, k, r)
			}
			t.Logf("%d rows, %d chunks: gradient relative error %.2g", rows, k, relErr(gk, g1))
		}
	}
}

// TestTrain32ThreadsInvariant: chunked float32 training gives the same weights, bit for bit,
// with 1, 2 and 3 threads (with OpenBLAS as well: it is made single-threaded while training).
func TestTrain32ThreadsInvariant(t *testing.T) {
	const n = 40
	spec, x, y := chunkCase(13, n)
	cfg := TrainConfig{LR: 0.1, Batch: 16, Epochs: 3, ClipNorm: 5, EvalTrain: true, Seed: 2, Precision: Float32}
	withChunkMACs(t, 4*forwardMACs(trModel(t, spec, 1)))
	var ref []float64
	for _, procs := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(procs)
		m := trModel(t, spec, 1)
		if k := trainChunks(m, cfg.Batch); k != 4 {
			t.Fatalf("%d chunks, want 4", k)
		}
		_, err := Train(context.Background(), m, CrossEntropy{}, x, y, cfg, nil, nil)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		p := trParamVec(m)
		if ref == nil {
			ref = p
		} else if !slices.Equal(p, ref) {
			t.Errorf("GOMAXPROCS=%d: weights differ from GOMAXPROCS=1 (relative %.3g)", procs, relErr(p, ref))
		}
	}
}
