package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/data"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// testModel is a small trained MLP 784-6-5-10 (no bias, as the project's) on 40 random
// samples with labels 0..2.
func testModel(t *testing.T) (*nn.Model, *mat.Dense, []int) {
	t.Helper()
	m, err := nn.Build(nn.MLP(784, []int{6, 5}, 10, "relu"), 7)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(40, 784, nil)
	y := make([]int, 40)
	for i := range y {
		y[i] = i % 3
		for j := 0; j < 784; j++ {
			x.Set(i, j, rng.NormFloat64()+0.5*float64(y[i]*(j%3)))
		}
	}
	loss, _ := nn.LossByName("ce")
	if _, err := nn.Train(context.Background(), m, loss, x, y, nn.TrainConfig{LR: 0.05, Batch: 10, Epochs: 5, Seed: 1}, nil, nil); err != nil {
		t.Fatal(err)
	}
	return m, x, y
}

// writeTestWeights writes testModel the way a PyTorch nn.Sequential's state_dict is saved
// with numpy.savez: Linear layers net.0, net.2, net.4 (Out x In), the samples x and labels y,
// no "spec".
func writeTestWeights(t *testing.T, dir string) string {
	t.Helper()
	m, x, y := testModel(t)
	var b bytes.Buffer
	w := nn.NewNPZWriter(&b)
	for i, p := range m.Params() {
		if err := w.Float64s(fmt.Sprintf("net.%d.weight", 2*i), p.Shape, p.Value); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Float64s("x", []int{40, 784}, x.RawMatrix().Data); err != nil {
		t.Fatal(err)
	}
	if err := w.Ints("y", y); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "torch.npz")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// directNPZ analyses m on (x, y) with experiment.AnalyzeLayer, as a Go program would by hand,
// and writes the .npz the CLI writes.
func directNPZ(t *testing.T, m *nn.Model, set *data.Set, path string) {
	t.Helper()
	c, err := experiment.Paper("mnist", "mlp", "ce", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	c = experiment.Fast(c)
	c.Targets, c.Batch, c.NPrime = []string{"fc2"}, 10, 12
	l, err := experiment.AnalyzeLayer(context.Background(), c, m, set, "fc2", true, experiment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &experiment.Result{Config: c, N: set.Len(), Snapshots: []experiment.Snapshot{{Epoch: 0, Layers: []experiment.Layer{*l}}}}
	var so bytes.Buffer
	old := stdout
	stdout = &so
	defer func() { stdout = old }()
	if err := writeNPZ(path, r, nil); err != nil {
		t.Fatal(err)
	}
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) < 1000 || !bytes.Equal(x, y) {
		t.Errorf("%s (%d bytes) and %s (%d bytes) differ: the imported model's analysis is not the original's", a, len(x), b, len(y))
	}
}

// TestWeightsRoundTrip: a model written in PyTorch's layout (renamed keys, no spec) and
// imported with --map, and the same model exported by nn.ExportNPZ and imported as it is,
// give bit-identical numbers to analysing the original model directly.
func TestWeightsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m, x, y := testModel(t)
	set := &data.Set{X: x, Labels: y, Channels: 784, Height: 1, Width: 1, Classes: 10}
	want := filepath.Join(dir, "direct.npz")
	directNPZ(t, m, set, want)

	torch := writeTestWeights(t, dir)
	got := filepath.Join(dir, "torch-out.npz")
	out, _, err := capture(t, "analyze", "--weights", torch, "--map", "net.0=fc1", "--map", "net.2=fc2,net.4=fc3",
		"--hidden", "6,5", "--target", "fc2", "--batch", "10", "--nprime", "12", "--npz", got, "-q", "--cache", filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "torch.npz layer fc2 (D=30, N=40, factorized route)") || !strings.Contains(out, "C/v1      gamma") {
		t.Errorf("analyze --weights output:\n%s", out)
	}
	sameFiles(t, want, got)
	// --topk: the top 15 directions by Lanczos, no dense matrix; the v1 window of 12 fits.
	out, _, err = capture(t, "analyze", "--weights", torch, "--map", "net.0=fc1,net.2=fc2,net.4=fc3", "--hidden", "6,5",
		"--batch", "10", "--nprime", "12", "--topk", "15", "-q")
	if err != nil || !strings.Contains(out, "C/v1      gamma") || !strings.Contains(out, "points 12 ") {
		t.Errorf("--topk 15: err %v, output\n%s", err, out)
	}

	var b bytes.Buffer
	if err := nn.ExportNPZ(&b, m, x, y, nil); err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(dir, "own.npz")
	if err := os.WriteFile(own, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got2 := filepath.Join(dir, "own-out.npz")
	if _, _, err := capture(t, "analyze", "--weights", own, "--batch", "10", "--nprime", "12", "--npz", got2, "-q"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, want, got2)
	// With exact keys instead of prefixes: W0..W2, as a hand-written export might name them.
	var b2 bytes.Buffer
	w := nn.NewNPZWriter(&b2)
	for i, p := range m.Params() {
		if err := w.Float64s(fmt.Sprintf("W%d", i), p.Shape, p.Value); err != nil {
			t.Fatal(err)
		}
	}
	_ = w.Float64s("x", []int{40, 784}, x.RawMatrix().Data)
	_ = w.Ints("y", y)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(dir, "w.npz")
	if err := os.WriteFile(ws, b2.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got3 := filepath.Join(dir, "w-out.npz")
	if _, _, err := capture(t, "analyze", "--weights", ws, "--map", "W0=fc1.weight,W1=fc2.weight,W2=fc3.weight", "--hidden", "6,5",
		"--batch", "10", "--nprime", "12", "--npz", got3, "-q"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, want, got3)
}

// TestWeightsWithIndices: the data subset given as indices into MNIST's training set (in the
// file, or by --indices) is the same as picking those rows by hand.
func TestWeightsWithIndices(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST twice (about 5 s)")
	}
	full := needMNIST(t)
	dir := t.TempDir()
	m, _, _ := testModel(t)
	idx := make([]int, 40)
	for i := range idx {
		idx[i] = 100*i + 7
	}
	set, err := pick(full, idx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "direct.npz")
	directNPZ(t, m, set, want)

	var b bytes.Buffer
	if err := nn.ExportNPZ(&b, m, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "model.npz")
	if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	for _, i := range idx {
		fmt.Fprintf(&list, "%d\n", i)
	}
	ix := filepath.Join(dir, "indices.txt")
	if err := os.WriteFile(ix, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(dir, "out.npz")
	if _, _, err := capture(t, "analyze", "--weights", f, "--indices", ix, "--batch", "10", "--nprime", "12", "--npz", got, "-q"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, want, got)

	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("1 2 999999"), 0o644)
	_, _, err = capture(t, "analyze", "--weights", f, "--indices", bad, "-q")
	if err == nil || !strings.Contains(err.Error(), "sample index 999999 (item 3) is past the 60000 samples") {
		t.Errorf("index past the end: err = %v", err)
	}
}

// addKey returns the archive at path with one more float64 array of n zeros.
func addKey(t *testing.T, path, key string, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range z.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	var extra bytes.Buffer
	w := nn.NewNPZWriter(&extra)
	if err := w.Float64s(key, []int{n}, make([]float64, n)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ez, err := zip.NewReader(bytes.NewReader(extra.Bytes()), int64(extra.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Copy(ez.File[0]); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestAnalyzeRunUsesModelFile: analyze --run DIR analyses DIR's model.bin: another model in
// its place changes the numbers, and a corrupt one is an error (the review found the file
// ignored, giving byte-identical output).
func TestAnalyzeRunUsesModelFile(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	needMNIST(t)
	dir := t.TempDir()
	c, _ := experiment.Paper("mnist", "mlp", "ce", 3, 0)
	c = experiment.Fast(c)
	c.Hidden, c.PerClass, c.Batch, c.Epochs, c.NPrime = []int{6, 5}, 8, 6, 2, 20
	cb, _ := json.Marshal(c)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cb, 0o644); err != nil {
		t.Fatal(err)
	}
	outputs := map[uint64]string{}
	for _, seed := range []uint64{1, 2} {
		m, err := nn.Build(nn.MLP(784, c.Hidden, 10, "relu"), seed)
		if err != nil {
			t.Fatal(err)
		}
		if err := nn.SaveFile(filepath.Join(dir, "model.bin"), m); err != nil {
			t.Fatal(err)
		}
		out, _, err := capture(t, "analyze", "--run", dir, "-q", "--cache", filepath.Join(dir, "cache"))
		if err != nil {
			t.Fatal(err)
		}
		outputs[seed] = strings.Join(strings.Split(out, "\n")[:3], "\n") // without the timing line
	}
	if outputs[1] == outputs[2] {
		t.Errorf("two different model.bin files give the same analysis:\n%s", outputs[1])
	}
	if err := os.WriteFile(filepath.Join(dir, "model.bin"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := capture(t, "analyze", "--run", dir, "-q"); err == nil || !strings.Contains(err.Error(), "model.bin") {
		t.Errorf("corrupt model.bin: err = %v, want it named", err)
	}
}

var (
	mnistOnce sync.Once
	mnist     *data.Set
	mnistErr  error
)

// needMNIST returns MNIST's training set, loaded once per test binary, or skips the test
// when the machine has no copy.
func needMNIST(t *testing.T) *data.Set {
	t.Helper()
	mnistOnce.Do(func() { mnist, mnistErr = data.Load("mnist", true, data.Options{NoDownload: true}) })
	if mnistErr != nil {
		t.Skipf("MNIST not on this machine: %v", mnistErr)
	}
	return mnist
}
