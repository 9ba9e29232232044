package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// trBlobs returns n samples of dim features in `classes` well separated Gaussian clusters
// (centers 4 apart on the first axes, noise 0.3), a linearly separable problem.
func trBlobs(seed uint64, n, dim, classes int) (*mat.Dense, []int) {
	rng := testkit.NewRand(seed)
	x := mat.NewDense(n, dim, nil)
	y := make([]int, n)
	for i := range n {
		c := i % classes
		y[i] = c
		for j := range dim {
			v := 0.3 * rng.NormFloat64()
			if j == c%dim {
				v += 4
			}
			x.Set(i, j, v)
		}
	}
	return x, y
}

func trModel(t testing.TB, spec Spec, seed uint64) *Model {
	t.Helper()
	m, err := Build(spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func trLoss(t testing.TB, name string) Loss {
	t.Helper()
	l, err := LossByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func trParamVec(m *Model) []float64 {
	var v []float64
	for _, p := range m.Params() {
		v = append(v, p.Value...)
	}
	return v
}

// trMeanGrad returns the gradient of the mean loss over all of (x, labels) at m's weights.
func trMeanGrad(m *Model, loss Loss, x *mat.Dense, labels []int) []float64 {
	c := m.Clone()
	c.ZeroGrad()
	_, g := loss.Eval(c.Forward(x), labels)
	n, _ := x.Dims()
	g.Scale(1/float64(n), g)
	c.Backward(g, true)
	var v []float64
	for _, p := range c.Params() {
		v = append(v, p.Grad...)
	}
	return v
}

func trNorm(v []float64) float64 {
	s := 0.0
	for _, f := range v {
		s += f * f
	}
	return math.Sqrt(s)
}

func TestTrainLearnsSeparable(t *testing.T) {
	x, y := trBlobs(1, 90, 5, 3)
	m := trModel(t, MLP(5, []int{16}, 3, KindReLU), 7)
	ce := trLoss(t, "ce")
	cfg := TrainConfig{LR: 0.1, Batch: 10, Epochs: 30, Seed: 3}
	var seen []int
	hist, err := Train(context.Background(), m, ce, x, y, cfg, func(s EpochStats) { seen = append(seen, s.Epoch) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 30 || len(seen) != 30 || seen[0] != 1 || seen[29] != 30 {
		t.Fatalf("got %d epochs, callbacks for %v", len(hist.Epochs), seen)
	}
	if hist.Steps != 30*9 || hist.Epochs[0].Steps != 9 {
		t.Errorf("steps: total %d, epoch 1 %d; want 270, 9", hist.Steps, hist.Epochs[0].Steps)
	}
	if !strings.Contains(hist.Stopped, "completed 30 epochs") {
		t.Errorf("Stopped = %q", hist.Stopped)
	}
	loss, acc := Evaluate(m, ce, x, y, 7)
	if acc != 1 {
		t.Errorf("accuracy %v after training, want 1", acc)
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	if !(last.Loss < hist.Epochs[0].Loss) || !(loss < 0.1) {
		t.Errorf("loss did not fall: epoch 1 %v, last %v, final eval %v", hist.Epochs[0].Loss, last.Loss, loss)
	}
	// Evaluate does not depend on the batch size or on x being a strided view.
	l2, a2 := Evaluate(m, ce, x, y, 0)
	if math.Abs(l2-loss) > 1e-12*math.Max(1, loss) || a2 != acc {
		t.Errorf("Evaluate batch 7: %v %v; batch default: %v %v", loss, acc, l2, a2)
	}
	wide := mat.NewDense(90, 8, nil)
	view := wide.Slice(0, 90, 2, 7).(*mat.Dense)
	view.Copy(x)
	if l3, a3 := Evaluate(m, ce, view, y, 7); l3 != loss || a3 != acc {
		t.Errorf("Evaluate on a strided view: %v %v, want %v %v", l3, a3, loss, acc)
	}
	// Training on the view gives the same weights as on the contiguous copy.
	ma, mb := trModel(t, MLP(5, []int{16}, 3, KindReLU), 7), trModel(t, MLP(5, []int{16}, 3, KindReLU), 7)
	cfg.Epochs = 2
	Train(context.Background(), ma, ce, x, y, cfg, nil, nil)
	Train(context.Background(), mb, ce, view, y, cfg, nil, nil)
	if fmt.Sprint(trParamVec(ma)) != fmt.Sprint(trParamVec(mb)) {
		t.Error("training on a strided view differs from training on a contiguous copy")
	}
}

func TestTrainPartialBatchAndFullBatchStep(t *testing.T) {
	// With Batch >= n each epoch is one full-batch step: w1 = w0 - eta_0 g(w0),
	// w2 = w1 - eta_1 g(w1), with the cosine learning rates. Checks the mean-loss gradient
	// and the schedule against a hand-written loop.
	x, y := trBlobs(2, 10, 4, 2)
	spec := MLP(4, []int{6}, 2, KindTanh)
	m := trModel(t, spec, 1)
	ref := m.Clone()
	ce := trLoss(t, "ce")
	cfg := TrainConfig{LR: 0.3, EtaMin: 0.01, CosineTMax: 3, Batch: 64, Epochs: 2, Seed: 1}
	hist, err := Train(context.Background(), m, ce, x, y, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for e := range 2 {
		g := trMeanGrad(ref, ce, x, y)
		lr := CosineLR(cfg.LR, cfg.EtaMin, cfg.CosineTMax, e)
		k := 0
		for _, p := range ref.Params() {
			for i := range p.Value {
				p.Value[i] -= lr * g[k]
				k++
			}
		}
		if hist.Epochs[e].LR != lr || hist.Epochs[e].Steps != 1 {
			t.Errorf("epoch %d: LR %v steps %d, want %v 1", e+1, hist.Epochs[e].LR, hist.Epochs[e].Steps, lr)
		}
	}
	got, want := trParamVec(m), trParamVec(ref)
	for i := range got {
		if d := math.Abs(got[i] - want[i]); d > 1e-13 {
			t.Fatalf("param %d: %v, reference %v", i, got[i], want[i])
		}
	}

	// n = 10, B = 4: batches of 4, 4 and 2.
	m2 := trModel(t, spec, 1)
	hist, err = Train(context.Background(), m2, ce, x, y, TrainConfig{LR: 0.1, Batch: 4, Epochs: 2}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hist.Epochs[1].Steps != 3 || hist.Steps != 6 {
		t.Errorf("steps per epoch %d, total %d; want 3, 6", hist.Epochs[1].Steps, hist.Steps)
	}
}

func TestTrainClipping(t *testing.T) {
	x, y := trBlobs(3, 12, 4, 3)
	spec := MLP(4, []int{8}, 3, KindReLU)
	ce := trLoss(t, "ce")
	m0 := trModel(t, spec, 2)
	g := trMeanGrad(m0, ce, x, y)
	gnorm := trNorm(g)
	w0 := trParamVec(m0)
	const lr = 0.5
	for _, tc := range []struct {
		clip    float64
		clipped int
	}{{gnorm / 10, 1}, {gnorm * 10, 0}, {0, 0}} {
		m := m0.Clone()
		hist, err := Train(context.Background(), m, ce, x, y, TrainConfig{LR: lr, Batch: 12, Epochs: 1, ClipNorm: tc.clip}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		st := hist.Epochs[0]
		if st.Clipped != tc.clipped || math.Abs(st.GradNorm-gnorm) > 1e-12*gnorm {
			t.Errorf("clip %v: Clipped %d GradNorm %v, want %d %v", tc.clip, st.Clipped, st.GradNorm, tc.clipped, gnorm)
		}
		w1 := trParamVec(m)
		step := make([]float64, len(w1))
		for i := range step {
			step[i] = w0[i] - w1[i]
		}
		// Clipped: step = lr * g * c/(|g|+1e-6) (torch.nn.utils.clip_grad_norm_), so
		// |step| = lr * c * |g|/(|g|+1e-6). Unclipped: step = lr * g.
		scale := 1.0
		if tc.clipped == 1 {
			scale = tc.clip / (gnorm + 1e-6)
		}
		for i := range step {
			if want := lr * scale * g[i]; math.Abs(step[i]-want) > 1e-12*(lr*scale*gnorm) {
				t.Fatalf("clip %v: step[%d] = %v, want %v", tc.clip, i, step[i], want)
			}
		}
		if tc.clipped == 1 {
			if got, want := trNorm(step), lr*tc.clip*gnorm/(gnorm+1e-6); math.Abs(got-want) > 1e-12*want {
				t.Errorf("clipped step norm %v, want %v", got, want)
			}
		}
	}
}

func TestCosineLR(t *testing.T) {
	const lr, eta = 0.1, 0.001
	for _, tc := range []struct {
		tmax, e int
		want    float64
	}{
		{0, 7, lr},
		{500, 0, lr},
		{500, 250, (lr + eta) / 2},
		{500, 500, eta},
		{500, 100, eta + (lr-eta)*(1+math.Cos(math.Pi/5))/2},
		{4, 1, eta + (lr-eta)*(1+math.Sqrt2/2)/2},
		{4, 3, eta + (lr-eta)*(1-math.Sqrt2/2)/2},
	} {
		if got := CosineLR(lr, eta, tc.tmax, tc.e); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("CosineLR(T=%d, e=%d) = %v, want %v", tc.tmax, tc.e, got, tc.want)
		}
	}
	// Train reports the schedule's value for each epoch.
	x, y := trBlobs(4, 8, 3, 2)
	m := trModel(t, MLP(3, []int{4}, 2, KindReLU), 1)
	hist, err := Train(context.Background(), m, trLoss(t, "mse"), x, y,
		TrainConfig{LR: lr, EtaMin: eta, CosineTMax: 4, Batch: 4, Epochs: 5}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for e, st := range hist.Epochs {
		if want := CosineLR(lr, eta, 4, e); st.LR != want {
			t.Errorf("epoch %d: LR %v, want %v", st.Epoch, st.LR, want)
		}
	}
	// e = 4 = T_max: cos(pi) = -1 gives eta_min.
	if math.Abs(hist.Epochs[4].LR-eta) > 1e-15 {
		t.Errorf("epoch 5 (e = T_max): LR %v, want eta_min %v", hist.Epochs[4].LR, eta)
	}
}

func TestTrainEarlyStop(t *testing.T) {
	// Two points, one dense layer, inputs of norm 10: cross-entropy falls like
	// 1/(lr |x|^2 t) and passes the paper's threshold 1e-5 within a few hundred steps.
	x := mat.NewDense(4, 2, []float64{10, 1, -10, 1, 9, -1, -9, -2})
	y := []int{1, 0, 1, 0}
	spec := Spec{In: Shape{2, 1, 1}, Layers: []LayerSpec{{Kind: KindDense, Out: 2}}}
	m := trModel(t, spec, 5)
	var calls []int
	var final []float64
	cfg := TrainConfig{LR: 0.2, Batch: 4, Epochs: 5000, EarlyStop: true, Checkpoints: []int{1, 4999, 5000}}
	hist, err := Train(context.Background(), m, trLoss(t, "ce"), x, y, cfg, nil, func(e int, mm *Model) error {
		calls = append(calls, e)
		final = trParamVec(mm)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	k := len(hist.Epochs)
	if !hist.EarlyStopped || k >= 5000 || !strings.Contains(hist.Stopped, fmt.Sprintf("early stop after epoch %d", k)) {
		t.Fatalf("EarlyStopped %v after %d epochs: %q", hist.EarlyStopped, k, hist.Stopped)
	}
	t.Logf("stopped after %d epochs: %s", k, hist.Stopped)
	// The rule holds at the last epoch and at no earlier one.
	rule := func(j int) bool {
		lo := max(0, j-8)
		s := 0.0
		for _, st := range hist.Epochs[lo : j+1] {
			if !st.Evaluated {
				t.Fatalf("epoch %d not evaluated under EarlyStop", st.Epoch)
			}
			s += st.TrainAcc
		}
		return s/float64(j+1-lo) > 0.9999 && hist.Epochs[j].TrainLoss < DefaultStopLoss
	}
	if !rule(k - 1) {
		t.Errorf("rule does not hold at the stopping epoch: %+v", hist.Epochs[k-1])
	}
	for j := 0; j < k-1; j++ {
		if rule(j) {
			t.Fatalf("rule already held at epoch %d", j+1)
		}
	}
	// Checkpoints after the stop are reported with the final model.
	if fmt.Sprint(calls) != "[1 4999 5000]" {
		t.Errorf("checkpoint calls %v", calls)
	}
	if w := trParamVec(m); fmt.Sprint(w) != fmt.Sprint(final) {
		t.Errorf("last checkpoint saw %v, final model %v", final, w)
	}
	// A larger StopLoss stops earlier.
	m2 := trModel(t, spec, 5)
	cfg.StopLoss = 1e-2
	h2, err := Train(context.Background(), m2, trLoss(t, "ce"), x, y, cfg, nil, nil)
	if err != nil || !h2.EarlyStopped || len(h2.Epochs) >= k {
		t.Errorf("StopLoss 1e-2: err %v, stopped %v after %d epochs (default stopped after %d)", err, h2.EarlyStopped, len(h2.Epochs), k)
	}
}

func TestEarlyStopRule(t *testing.T) {
	ones := func(k int) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	for _, tc := range []struct {
		accs   []float64
		loss   float64
		stop   bool
		window int
	}{
		{[]float64{1}, 1e-6, true, 1},  // fewer than 9 epochs: mean of those there are
		{[]float64{1}, 1e-5, false, 1}, // loss must be strictly below
		{append([]float64{0.5}, ones(8)...), 1e-6, false, 9},
		{append([]float64{0.5}, ones(9)...), 1e-6, true, 9}, // the 0.5 left the window
		{append(ones(8), 0.999), 1e-6, false, 9},            // mean 0.99989
		{append(ones(8), 0.9992), 1e-6, true, 9},            // mean 0.99991
	} {
		stop, _, w := earlyStopRule(tc.accs, tc.loss, DefaultStopLoss)
		if stop != tc.stop || w != tc.window {
			t.Errorf("accs %v loss %v: stop %v window %d, want %v %d", tc.accs, tc.loss, stop, w, tc.stop, tc.window)
		}
	}
}

var trStepRE = regexp.MustCompile(`at epoch (\d+) step (\d+) \(global step (\d+)\)`)

func TestTrainNonFinite(t *testing.T) {
	x, y := trBlobs(5, 20, 3, 2)
	spec := MLP(3, []int{4}, 2, KindReLU)
	ce := trLoss(t, "ce")

	// A NaN input is rejected up front, naming the entry.
	xn := mat.DenseCopyOf(x)
	xn.Set(13, 1, math.NaN())
	m := trModel(t, spec, 1)
	if _, err := Train(context.Background(), m, ce, xn, y, TrainConfig{LR: 0.1, Batch: 3, Epochs: 1}, nil, nil); err == nil || !strings.Contains(err.Error(), "x[13, 1] = NaN") {
		t.Errorf("NaN input: err = %v, want it to name x[13, 1]", err)
	}

	// A NaN weight in the output layer makes the loss of the first step NaN.
	fc2, err := m.Layer("fc2")
	if err != nil {
		t.Fatal(err)
	}
	fc2.Params()[0].Value[3] = math.NaN()
	hist, err := Train(context.Background(), m, ce, x, y, TrainConfig{LR: 0.1, Batch: 3, Epochs: 3}, nil, nil)
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "non-finite loss NaN at epoch 1 step 1 (global step 1)") {
		t.Fatalf("NaN weight: err = %v, want ErrNonFinite for the loss at epoch 1 step 1", err)
	}
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.What != "loss" || nf.Epoch != 1 || nf.Step != 1 || nf.GlobalStep != 1 || !math.IsNaN(nf.Value) {
		t.Errorf("NaN weight: errors.As gives %+v", nf)
	}
	if len(hist.Epochs) != 0 || hist.Stopped == "" {
		t.Errorf("NaN weight: %d epochs recorded, Stopped %q", len(hist.Epochs), hist.Stopped)
	}

	// A huge learning rate overflows the weights within a few steps.
	m = trModel(t, spec, 1)
	hist, err = Train(context.Background(), m, ce, x, y, TrainConfig{LR: 1e300, Batch: 4, Epochs: 3}, nil, nil)
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("lr 1e300: err = %v, want ErrNonFinite", err)
	}
	sm := trStepRE.FindStringSubmatch(err.Error())
	if sm == nil {
		t.Fatalf("lr 1e300: error %q does not name epoch, step and global step", err)
	}
	var e, s, g int
	fmt.Sscan(sm[1]+" "+sm[2]+" "+sm[3], &e, &s, &g)
	if e != len(hist.Epochs)+1 || g != (e-1)*5+s {
		t.Errorf("lr 1e300: %q inconsistent with %d completed epochs of 5 steps", err, len(hist.Epochs))
	}
	t.Logf("lr 1e300: %v", err)
}

func TestTrainDeterministic(t *testing.T) {
	x, y := trBlobs(6, 37, 6, 3)
	spec := MLP(6, []int{10, 7}, 3, KindReLU)
	cfg := TrainConfig{LR: 0.2, EtaMin: 0.002, CosineTMax: 5, Batch: 5, Epochs: 4, ClipNorm: 1, Seed: 42}
	run := func(seed uint64) (*Model, History) {
		m := trModel(t, spec, 11)
		cfg.Seed = seed
		h, err := Train(context.Background(), m, trLoss(t, "mse"), x, y, cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m, h
	}
	a, ha := run(42)
	b, hb := run(42)
	pa, pb := a.Params(), b.Params()
	for i := range pa {
		for j := range pa[i].Value {
			if pa[i].Value[j] != pb[i].Value[j] {
				t.Fatalf("%s[%d]: %v != %v with the same seed", pa[i].Name, j, pa[i].Value[j], pb[i].Value[j])
			}
		}
	}
	for i := range ha.Epochs {
		if ha.Epochs[i].Loss != hb.Epochs[i].Loss || ha.Epochs[i].Acc != hb.Epochs[i].Acc {
			t.Fatalf("epoch %d stats differ", i+1)
		}
	}
	c, _ := run(43)
	if fmt.Sprint(trParamVec(a)) == fmt.Sprint(trParamVec(c)) {
		t.Error("a different seed gave identical weights")
	}
}

func TestTrainCancelAndCheckpoints(t *testing.T) {
	x, y := trBlobs(7, 16, 3, 2)
	spec := MLP(3, []int{4}, 2, KindReLU)
	ce := trLoss(t, "ce")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ck []int
	snap := map[int][]float64{}
	m := trModel(t, spec, 1)
	hist, err := Train(ctx, m, ce, x, y, TrainConfig{LR: 0.1, Batch: 4, Epochs: 10, Checkpoints: []int{3, 1, 3, 2}},
		func(s EpochStats) {
			if s.Epoch == 3 {
				cancel()
			}
		},
		func(e int, mm *Model) error {
			ck = append(ck, e)
			snap[e] = trParamVec(mm)
			return nil
		})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "epoch 4 step 1") {
		t.Fatalf("err = %v, want context.Canceled at epoch 4 step 1", err)
	}
	if len(hist.Epochs) != 3 || fmt.Sprint(ck) != "[1 2 3]" {
		t.Errorf("%d epochs, checkpoints %v; want 3, [1 2 3]", len(hist.Epochs), ck)
	}
	if fmt.Sprint(snap[3]) != fmt.Sprint(trParamVec(m)) || fmt.Sprint(snap[2]) == fmt.Sprint(snap[3]) {
		t.Error("checkpoint snapshots do not match the model at those epochs")
	}

	// A checkpoint error ends training.
	boom := errors.New("disk full")
	_, err = Train(context.Background(), trModel(t, spec, 1), ce, x, y, TrainConfig{LR: 0.1, Batch: 4, Epochs: 5, Checkpoints: []int{2}},
		nil, func(int, *Model) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "epoch 2") {
		t.Errorf("checkpoint error: %v", err)
	}
}

func TestTrainValidation(t *testing.T) {
	x, y := trBlobs(8, 6, 3, 2)
	m := trModel(t, MLP(3, []int{4}, 2, KindReLU), 1)
	ce := trLoss(t, "ce")
	good := TrainConfig{LR: 0.1, Batch: 2, Epochs: 1}
	for _, tc := range []struct {
		name   string
		mod    func(*TrainConfig)
		x      *mat.Dense
		labels []int
		want   string
	}{
		{"lr", func(c *TrainConfig) { c.LR = 0 }, x, y, "LR"},
		{"lr nan", func(c *TrainConfig) { c.LR = math.NaN() }, x, y, "LR"},
		{"batch", func(c *TrainConfig) { c.Batch = 0 }, x, y, "Batch"},
		{"epochs", func(c *TrainConfig) { c.Epochs = -1 }, x, y, "Epochs"},
		{"etamin", func(c *TrainConfig) { c.EtaMin = -1 }, x, y, "EtaMin"},
		{"clip", func(c *TrainConfig) { c.ClipNorm = -1 }, x, y, "ClipNorm"},
		{"tmax", func(c *TrainConfig) { c.CosineTMax = -1 }, x, y, "CosineTMax"},
		{"checkpoint", func(c *TrainConfig) { c.Checkpoints = []int{2} }, x, y, "Checkpoints"},
		{"labels len", nil, x, y[:5], "5 labels for 6 rows"},
		{"label range", nil, x, []int{0, 1, 2, 0, 1, 0}, "labels[2] = 2"},
		{"negative label", nil, x, []int{0, -1, 1, 0, 1, 0}, "labels[1] = -1"},
		{"features", nil, mat.NewDense(6, 4, nil), y, "4 columns, want the model's input size 3"},
		{"empty", nil, &mat.Dense{}, nil, "x has no rows"},
	} {
		cfg := good
		if tc.mod != nil {
			tc.mod(&cfg)
		}
		_, err := Train(context.Background(), m, ce, tc.x, tc.labels, cfg, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// BenchmarkTrainEpochMNISTMLP times one epoch of the paper's MNIST MLP (784-50-50-10) on
// 20000 synthetic samples, B = 50 (400 steps).
func BenchmarkTrainEpochMNISTMLP(b *testing.B) {
	x, y := testkit.UniformClassification(testkit.NewRand(1), 20000, 784, 10)
	m := trModel(b, MNISTMLP(), 1)
	ce := trLoss(b, "ce")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cfg := TrainConfig{LR: 0.1, Batch: 50, Epochs: 1, ClipNorm: 5, Seed: uint64(i)}
		if _, err := Train(context.Background(), m, ce, x, y, cfg, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainEpochCNN times one epoch of the paper's CNN on 1000 synthetic 1x28x28
// images, B = 50 (20 steps).
func BenchmarkTrainEpochCNN(b *testing.B) {
	x, y := testkit.UniformClassification(testkit.NewRand(1), 1000, 784, 10)
	m := trModel(b, CNN(Shape{1, 28, 28}), 1)
	ce := trLoss(b, "ce")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cfg := TrainConfig{LR: 0.1, Batch: 50, Epochs: 1, ClipNorm: 5, Seed: uint64(i)}
		if _, err := Train(context.Background(), m, ce, x, y, cfg, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEvaluateEdges(t *testing.T) {
	m := trModel(t, MLP(3, []int{4}, 2, KindReLU), 1)
	ce := trLoss(t, "ce")
	if l, a := Evaluate(m, ce, &mat.Dense{}, nil, 4); !math.IsNaN(l) || !math.IsNaN(a) {
		t.Errorf("empty set: %v %v, want NaN NaN", l, a)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "labels[0] = 5") {
			t.Errorf("bad label: recovered %v", r)
		}
	}()
	Evaluate(m, ce, mat.NewDense(1, 3, nil), []int{5}, 4)
}

// TestTrainDiverged: a learning rate of 1e9 (the case: losses of 1e22 and more, the
// run exiting 0) stops with a *DivergedError naming the epoch and the loss; a sane rate, and
// the same rate with the check disabled, do not.
func TestTrainDiverged(t *testing.T) {
	// Random labels: not separable, so an overshooting step cannot be rescued by the data.
	// With clipping at 5 (the paper's setting) the loss stays finite, near 1e18: only the
	// divergence check stops the run.
	rng := testkit.NewRand(3)
	x, y := randDense(rng, 40, 5, 1), randLabels(rng, 40, 3)
	spec := MLP(5, []int{8}, 3, KindReLU)
	ce := trLoss(t, "ce")
	hist, err := Train(context.Background(), trModel(t, spec, 1), ce, x, y, TrainConfig{LR: 1e9, Batch: 4, Epochs: 5, ClipNorm: 5}, nil, nil)
	var de *DivergedError
	if !errors.Is(err, ErrDiverged) || !errors.As(err, &de) {
		t.Fatalf("lr 1e9: err = %v, want ErrDiverged", err)
	}
	if de.Epoch != len(hist.Epochs) || !(de.Loss > 1e3*max(de.Initial, 1)) || !strings.Contains(err.Error(), fmt.Sprintf("diverged at epoch %d: mean loss", de.Epoch)) {
		t.Errorf("lr 1e9: %+v with %d epochs recorded: %v", de, len(hist.Epochs), err)
	}
	if math.Abs(de.Initial-math.Log(3)) > 0.5 {
		t.Errorf("initial loss %v, want about ln 3 for a fresh 3-class model", de.Initial)
	}
	// The check off: the same run completes, silently, as before the check existed.
	hist, err = Train(context.Background(), trModel(t, spec, 1), ce, x, y, TrainConfig{LR: 1e9, Batch: 4, Epochs: 5, ClipNorm: 5, DivergeFactor: -1}, nil, nil)
	if err != nil || len(hist.Epochs) != 5 || !(hist.Epochs[4].Loss > 1e10) {
		t.Errorf("DivergeFactor -1: %d epochs, err %v; want 5 epochs of huge finite losses", len(hist.Epochs), err)
	}
	if _, err := Train(context.Background(), trModel(t, spec, 1), ce, x, y, TrainConfig{LR: 0.1, Batch: 4, Epochs: 20}, nil, nil); err != nil {
		t.Errorf("lr 0.1: %v", err)
	}
	for _, f := range []float64{math.NaN(), 1, 0.5, math.Inf(1)} {
		if err := (TrainConfig{LR: 0.1, Batch: 1, Epochs: 1, DivergeFactor: f}).Validate(); err == nil || !strings.Contains(err.Error(), "DivergeFactor") {
			t.Errorf("DivergeFactor %v: %v", f, err)
		}
	}
}

// TestTrainCanceledInEvaluation: a cancellation between epochs stops Train for both
// precisions with the completed epochs in the history, and the per-epoch full-set
// evaluation itself checks ctx before every batch.
func TestTrainCanceledInEvaluation(t *testing.T) {
	x, y := trBlobs(5, 20, 3, 2)
	spec := MLP(3, []int{4}, 2, KindReLU)
	for _, prec := range []string{Float64, Float32} {
		ctx, cancel := context.WithCancel(context.Background())
		m := trModel(t, spec, 1)
		hist, err := Train(ctx, m, trLoss(t, "ce"), x, y, TrainConfig{LR: 0.1, Batch: 4, Epochs: 5, EvalTrain: true, Precision: prec},
			func(s EpochStats) {
				if s.Epoch == 2 {
					cancel()
				}
			}, nil)
		cancel()
		if !errors.Is(err, context.Canceled) || len(hist.Epochs) != 2 {
			t.Errorf("%s: err %v after %d epochs, want context.Canceled after 2", prec, err, len(hist.Epochs))
		}
	}
	// The evaluation itself: a canceled context stops it before the first batch.
	_, _, err := evaluate(func() context.Context { c, f := context.WithCancel(context.Background()); f(); return c }(),
		trModel(t, spec, 1), trLoss(t, "ce"), x, y, 4)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("evaluate: %v", err)
	}
}

func TestFinalTrainAcc(t *testing.T) {
	h := History{Epochs: []EpochStats{{Epoch: 1, Acc: 0.5, TrainAcc: 0.6, Evaluated: true}, {Epoch: 2, Acc: 0.7, TrainAcc: 0.9, Evaluated: true}}}
	if a := h.FinalTrainAcc(); a != 0.9 {
		t.Errorf("FinalTrainAcc = %v, want the last epoch's full-train accuracy 0.9 (not the minibatch 0.7)", a)
	}
	h.Epochs[1].Evaluated = false
	if a := h.FinalTrainAcc(); !math.IsNaN(a) {
		t.Errorf("last epoch not evaluated: %v, want NaN", a)
	}
	if a := (History{}).FinalTrainAcc(); !math.IsNaN(a) {
		t.Errorf("no epoch: %v, want NaN", a)
	}
}
