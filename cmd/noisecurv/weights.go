package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/data"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// weightFlags analyse a model given as an .npz of its parameters (analyze --weights).
type weightFlags struct {
	file, indices, spec, target, hidden string
	maps                                mapFlag
	bias                                bool
	nPrime                              int
}

// mapFlag collects --map FILE_KEY=OUR_NAME pairs, repeated or comma-separated.
type mapFlag []struct{ from, to string }

func (m *mapFlag) String() string { return "" }

func (m *mapFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		from, to, ok := strings.Cut(p, "=")
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		if !ok || from == "" || to == "" {
			return fmt.Errorf("%q is not FILE_KEY=OUR_NAME (e.g. W1=fc2.weight or net.2=fc2)", p)
		}
		*m = append(*m, struct{ from, to string }{from, to})
	}
	return nil
}

func (w *weightFlags) register(fs *flags) {
	fs.StringVar(&w.file, "weights", "", "analyse your own model: a NumPy .npz `FILE` of its parameters (see below)")
	fs.Var(&w.maps, "map", "with --weights: rename the file's keys, `FILE_KEY=OUR_NAME` (W1=fc2.weight, or the prefix net.2=fc2); repeat or separate by commas")
	fs.StringVar(&w.target, "target", "", "with --weights: the dense `layer` to analyse (default: the --model's target, fc2 for the MNIST MLP)")
	fs.StringVar(&w.indices, "indices", "", "with --weights: a text `FILE` of training-set sample indices (instead of the file's \"indices\" or the seeded subset)")
	fs.StringVar(&w.spec, "spec", "", "with --weights: the architecture as an nn.Spec JSON `FILE` (instead of --model/--hidden/--bias)")
	fs.StringVar(&w.hidden, "hidden", "", "with --weights: hidden `widths` of the mlp/deep-mlp, e.g. 50,50 (default: the preset's)")
	fs.BoolVar(&w.bias, "bias", false, "with --weights: the dense layers have biases (PyTorch's default; the paper's have none)")
	fs.IntVar(&w.nPrime, "nprime", 0, "with --weights: the v1 fit window N' (default: the paper's N' scaled by D, as the fast preset does)")
}

// setNames returns the first --weights-only flag that was given, or "".
func (w *weightFlags) setNames(set map[string]bool) string {
	for _, n := range []string{"map", "target", "indices", "spec", "hidden", "bias", "nprime"} {
		if set[n] {
			return n
		}
	}
	return ""
}

// imageShape is each dataset's per-sample shape (for --model cnn without a spec).
var imageShape = map[string]nn.Shape{
	"mnist": {C: 1, H: 28, W: 28}, "fashion-mnist": {C: 1, H: 28, W: 28}, "cifar10": {C: 3, H: 32, W: 32},
}

// renameNPZ returns the archive with its keys renamed by maps (exact keys, or prefixes
// followed by "."), copying the entries' bytes unchanged, and the list of keys after renaming.
func renameNPZ(b []byte, maps mapFlag, name string) ([]byte, []string, error) {
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not an .npz (zip) archive: %w", name, err)
	}
	var keys []string
	for _, f := range z.File {
		if k, ok := strings.CutSuffix(f.Name, ".npy"); ok {
			keys = append(keys, k)
		}
	}
	rename := map[string]string{}
	for _, m := range maps {
		hit := false
		for _, k := range keys {
			switch {
			case k == m.from:
				rename[k] = m.to
			case strings.HasPrefix(k, m.from+"."):
				rename[k] = m.to + k[len(m.from):]
			default:
				continue
			}
			hit = true
		}
		if !hit {
			return nil, nil, usagef("flag --map %s=%s: %s has no key %q and no key starting %q (keys: %s)", m.from, m.to, name, m.from, m.from+".", strings.Join(keys, ", "))
		}
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	seen := map[string]string{}
	var after []string
	for _, f := range z.File {
		h := f.FileHeader
		if k, ok := strings.CutSuffix(f.Name, ".npy"); ok {
			nk := k
			if r, ok := rename[k]; ok {
				nk = r
			}
			if prev, dup := seen[nk]; dup {
				return nil, nil, usagef("flag --map: keys %q and %q of %s would both become %q", prev, k, name, nk)
			}
			seen[nk] = k
			after = append(after, nk)
			h.Name = nk + ".npy"
		}
		raw, err := f.OpenRaw()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: entry %s: %w", name, f.Name, err)
		}
		w, err := zw.CreateRaw(&h)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			return nil, nil, fmt.Errorf("%s: entry %s: %w", name, f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), after, nil
}

// readIndices reads integers separated by white space or commas.
func readIndices(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("flag --indices: %v", err)
	}
	var out []int
	for i, f := range strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return nil, usagef("flag --indices = %q: item %d is %q: want non-negative integers separated by spaces, commas or newlines", path, i+1, f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, usagef("flag --indices = %q: the file holds no index", path)
	}
	return out, nil
}

// pick returns the samples of full at idx, in that order.
func pick(full *data.Set, idx []int, labels []int) (*data.Set, error) {
	f := full.Features()
	x := mat.NewDense(len(idx), f, nil)
	s := &data.Set{Name: fmt.Sprintf("%s[%d indices]", full.Name, len(idx)), X: x, Labels: make([]int, len(idx)),
		Channels: full.Channels, Height: full.Height, Width: full.Width, Classes: full.Classes, Indices: make([]int, len(idx))}
	for k, i := range idx {
		if i >= full.Len() {
			return nil, fmt.Errorf("sample index %d (item %d) is past the %d samples of %s", i, k+1, full.Len(), full.Name)
		}
		x.SetRow(k, full.X.RawRowView(i))
		s.Labels[k] = full.Labels[i]
		s.Indices[k] = full.Indices[i]
	}
	if labels != nil {
		if len(labels) != len(idx) {
			return nil, fmt.Errorf("key \"y\" has %d labels for %d indices", len(labels), len(idx))
		}
		copy(s.Labels, labels)
	}
	return s, nil
}

// analyzeWeights imports the model of --weights and analyses its target layer on its data.
func analyzeWeights(ctx context.Context, w *weightFlags, cf *cellFlags, set map[string]bool) (*experiment.Result, error) {
	raw, err := os.ReadFile(w.file)
	if err != nil {
		return nil, usagef("flag --weights: %v", err)
	}
	b, keys, err := renameNPZ(raw, w.maps, w.file)
	if err != nil {
		return nil, err
	}
	// The cell gives the loss, batch, seed and the defaults of the architecture and data.
	cset := map[string]bool{}
	for k, v := range set {
		cset[k] = v && k != "batch" && k != "topk" // checked against this model and its samples below
	}
	cf.weights = true
	c, err := cf.config(cset)
	if err != nil {
		return nil, err
	}
	var m *nn.Model
	var x *mat.Dense
	var y, idx []int
	r := bytes.NewReader(b)
	switch {
	case w.spec != "":
		if set["hidden"] || set["bias"] {
			return nil, usagef("analyze: flag --spec gives the whole architecture: drop --hidden and --bias")
		}
		js, err := os.ReadFile(w.spec)
		if err != nil {
			return nil, usagef("flag --spec: %v", err)
		}
		var spec nn.Spec
		if err := json.Unmarshal(js, &spec); err != nil {
			return nil, usagef("flag --spec = %q: not an nn.Spec JSON: %v", w.spec, err)
		}
		m, x, y, idx, err = nn.ImportNPZWithSpec(r, r.Size(), spec)
		if err != nil {
			return nil, fmt.Errorf("analyze: %s: %w", w.file, err)
		}
	case slices.Contains(keys, "spec"):
		if set["hidden"] || set["bias"] || set["model"] {
			return nil, usagef("analyze: %s carries its architecture (key \"spec\"): drop --model, --hidden and --bias", w.file)
		}
		m, x, y, idx, err = nn.ImportNPZ(r, r.Size())
		if err != nil {
			return nil, fmt.Errorf("analyze: %s: %w", w.file, err)
		}
	default:
		hc := c
		if w.hidden != "" {
			hs, _ := list("hidden", w.hidden)
			hc.Hidden = nil
			for _, h := range hs {
				v, err := strconv.Atoi(h)
				if err != nil || v <= 0 {
					return nil, flagErr("hidden", w.hidden, "comma-separated positive widths, e.g. 50,50")
				}
				hc.Hidden = append(hc.Hidden, v)
			}
			if len(hc.Hidden) == 0 || (c.Model == "cnn" && len(hc.Hidden) != 1) {
				return nil, flagErr("hidden", w.hidden, "comma-separated positive widths, e.g. 50,50 (one width for --model cnn)")
			}
		}
		in := imageShape[c.Dataset]
		if c.Model != "cnn" {
			in = nn.Shape{C: in.Size(), H: 1, W: 1}
		}
		spec := experiment.ModelSpec(hc, in)
		if w.bias {
			for i := range spec.Layers {
				if spec.Layers[i].Kind == nn.KindDense {
					spec.Layers[i].Bias = true
				}
			}
		}
		m, x, y, idx, err = nn.ImportNPZWithSpec(r, r.Size(), spec)
		if err != nil {
			return nil, fmt.Errorf("analyze: %s: %w (set the architecture with --model, --hidden, --bias or --spec, and the names with --map)", w.file, err)
		}
	}
	// Refuse keys that are neither parameters nor data: a bias or layer left out silently
	// would change the analysis.
	known := map[string]bool{"x": true, "y": true, "indices": true, "spec": true}
	for _, p := range m.Params() {
		known[p.Name] = true
	}
	var unused []string
	for _, k := range keys {
		if !known[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		var names []string
		for _, p := range m.Params() {
			names = append(names, p.Name)
		}
		return nil, usagef("analyze: %s: keys %s are not parameters of the model (its parameters: %s); rename them with --map FILE_KEY=OUR_NAME, or set the architecture with --hidden, --bias or --spec",
			w.file, strings.Join(unused, ", "), strings.Join(names, ", "))
	}
	o, done := cf.options()
	defer done()
	var s *data.Set
	switch {
	case x != nil:
		if w.indices != "" {
			return nil, usagef("analyze: flag --indices: %s holds the samples themselves (key \"x\")", w.file)
		}
		if y == nil {
			return nil, fmt.Errorf("analyze: %s has samples (key \"x\") but no labels (key \"y\")", w.file)
		}
		s = &data.Set{Name: w.file, X: x, Labels: y, Channels: m.Spec.In.C, Height: m.Spec.In.H, Width: m.Spec.In.W, Classes: m.Classes(), Indices: idx}
	default:
		if w.indices != "" {
			if idx, err = readIndices(w.indices); err != nil {
				return nil, err
			}
		}
		if idx == nil {
			if s, err = experiment.Data(c, o); err != nil {
				return nil, err
			}
			if y != nil && len(y) != s.Len() {
				return nil, fmt.Errorf("analyze: %s: key \"y\" has %d labels, the seeded subset %d samples", w.file, len(y), s.Len())
			}
			if y != nil {
				copy(s.Labels, y)
			}
			break
		}
		full, err := data.Load(c.Dataset, true, data.Options{Dir: o.DataDir, Progress: o.Log})
		if err != nil {
			return nil, err
		}
		if s, err = pick(full, idx, y); err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
	}
	if s.Features() != m.Spec.In.Size() {
		return nil, fmt.Errorf("analyze: the model takes %d inputs, the samples have %d features", m.Spec.In.Size(), s.Features())
	}
	if err := checkLabels(s.Labels, m.Classes()); err != nil {
		return nil, fmt.Errorf("analyze: %s: %w", w.file, err)
	}
	// The analysis settings: the target, the batch (at most N) and the fit window.
	target := w.target
	if target == "" {
		target = c.Targets[0]
	}
	d := 0
	for _, p := range m.Params() {
		if p.Name == target+".weight" && len(p.Shape) == 2 {
			d = p.Shape[0] * p.Shape[1]
		}
	}
	if d == 0 {
		var dense []string
		for _, l := range m.Spec.Layers {
			if l.Kind == nn.KindDense {
				dense = append(dense, l.Name)
			}
		}
		return nil, flagErr("target", target, "a dense layer of the model: "+strings.Join(dense, ", "))
	}
	c.Targets = []string{target}
	if set["batch"] {
		c.Batch = cf.batch
	}
	if c.Batch > s.Len() {
		if set["batch"] {
			return nil, flagErr("batch", c.Batch, fmt.Sprintf("at most N = %d, the samples analysed", s.Len()))
		}
		c.Batch = s.Len()
	}
	pm := c.Model
	if pm == "deep-mlp" {
		pm = "mlp"
	}
	paperC, err := experiment.Paper(c.Dataset, pm, c.Loss, 10, c.Seed)
	if err != nil {
		return nil, err
	}
	c.NPrime = max(20, paperC.NPrime*d/max(paperDim(paperC), 1))
	if set["nprime"] {
		if w.nPrime <= 0 {
			return nil, flagErr("nprime", w.nPrime, fmt.Sprintf("a positive fit window, at most D = %d", d))
		}
		c.NPrime = w.nPrime
	}
	c.NPrime = min(c.NPrime, d)
	if set["topk"] {
		if cf.topK < 0 || (cf.topK > 0 && cf.topK < c.NPrime) || cf.topK > d {
			return nil, flagErr("topk", cf.topK, fmt.Sprintf("0 (dense) or from the fit window N' = %d to D = %d", c.NPrime, d))
		}
		c.TopK = cf.topK
	}
	return analyzeModel(ctx, c, m, s, 0, o, filepath.Base(w.file))
}

// paperDim is D of the paper cell's first target layer.
func paperDim(c experiment.Config) int {
	if c.Model == "cnn" {
		return c.Channels[len(c.Channels)-1] * c.Hidden[0]
	}
	return c.Hidden[len(c.Hidden)-1] * c.Hidden[len(c.Hidden)-2]
}

func checkLabels(labels []int, classes int) error {
	for i, l := range labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("label %d of sample %d is outside the model's %d classes", l, i, classes)
		}
	}
	return nil
}

func backend() string { return linalg.Backend() }
