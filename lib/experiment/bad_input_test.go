package experiment

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/data"
)

// TestKeysUnchanged pins the cache keys of today's presets (computed by the code before Key
// was hardened): the hardening of Key (no panic on NaN) and of Validate must not move any
// existing cache entry.
func TestKeysUnchanged(t *testing.T) {
	for _, tc := range []struct {
		dataset string
		fast    bool
		key     string
	}{
		{"mnist", false, "551fa300cc7545bda5dd"},
		{"mnist", true, "cc2435aca62bf4de6ffd"},
		{"fashion-mnist", false, "5aebae26e9330c8dd678"},
		{"fashion-mnist", true, "3bc631111ebc15b06c1b"},
		{"cifar10", false, "8be5abb4498393adbe85"},
		{"cifar10", true, "f2fab0f4ffffef2ef1d1"},
	} {
		c, err := Paper(tc.dataset, "mlp", "ce", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if tc.fast {
			c = Fast(c)
		}
		if got := c.Key(); got != tc.key {
			t.Errorf("%s fast=%v: key %s, want %s", tc.dataset, tc.fast, got, tc.key)
		}
	}
	if got := LayerWise(1).Key(); got != "dfe29ee50c731e26077e" {
		t.Errorf("layer-wise key %s moved", got)
	}
}

// TestKeyDatasetsVerified: the key holds no data digest because every dataset is verified
// against digests compiled into the binary; this fails if a dataset without them is added.
func TestKeyDatasetsVerified(t *testing.T) {
	for _, d := range []string{"mnist", "fashion-mnist", "cifar10"} {
		c, _ := Paper(d, "mlp", "ce", 10, 0)
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if dg, err := data.Digest(d); err != nil || len(dg) < 32 {
			t.Errorf("%s: compiled-in digest %q, %v", d, dg, err)
		}
	}
}

// TestConfigBadInput is the config rows of the bad-input table: each gives an error naming
// the field, and Key never panics. Several rows once crashed a run or were used silently:
// NaN label noise panicked in Key, label noise with one class panicked in IntN, a batch
// larger than N gave a degenerate Covar fit printed as a normal result.
func TestConfigBadInput(t *testing.T) {
	base, _ := Paper("mnist", "mlp", "ce", 3, 0)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		msg  string
	}{
		{"label noise NaN", func(c *Config) { c.LabelNoise = math.NaN() }, "label_noise = NaN"},
		{"label noise 1", func(c *Config) { c.LabelNoise = 1 }, "label_noise = 1: want a fraction in [0, 1)"},
		{"label noise with 1 class", func(c *Config) { c.Classes, c.LabelNoise = 1, 0.5 }, "at least 2 classes"},
		{"batch 1e13", func(c *Config) { c.Batch = 10000000000000 }, "batch = 10000000000000 exceeds the N = 6000 training samples"},
		{"batch 1e9", func(c *Config) { c.Batch = 1000000000 }, "batch = 1000000000"},
		{"batch > N", func(c *Config) { c.Batch = 6001 }, "exceeds the N = 6000"},
		{"batch > N of a small subset", func(c *Config) { c.PerClass, c.Batch = 10, 31 }, "batch = 31 exceeds the N = 30"},
		{"batch 0", func(c *Config) { c.Batch = 0 }, "batch = 0"},
		{"batch negative", func(c *Config) { c.Batch = -5 }, "batch = -5"},
		{"epochs 0", func(c *Config) { c.Epochs = 0 }, "epochs = 0"},
		{"per class negative", func(c *Config) { c.PerClass = -1 }, "per_class = -1"},
		{"lr NaN", func(c *Config) { c.LR = math.NaN() }, "lr = NaN"},
		{"lr Inf", func(c *Config) { c.LR = math.Inf(1) }, "lr = +Inf"},
		{"lr negative", func(c *Config) { c.LR = -0.1 }, "lr = -0.1"},
		{"eta_min NaN", func(c *Config) { c.EtaMin = math.NaN() }, "eta_min = NaN"},
		{"clip_norm -1", func(c *Config) { c.ClipNorm = -1 }, "clip_norm = -1"},
		{"clip_norm Inf", func(c *Config) { c.ClipNorm = math.Inf(1) }, "clip_norm = +Inf"},
		{"top_k negative", func(c *Config) { c.TopK = -3 }, "top_k = -3"},
		{"top_k below n_prime", func(c *Config) { c.TopK = 10 }, "top_k = 10 is below n_prime = 300"},
		{"cosine_tmax -1", func(c *Config) { c.CosineTMax = -1 }, "cosine_tmax = -1"},
		{"dataset imagenet", func(c *Config) { c.Dataset = "imagenet" }, `dataset = "imagenet"`},
		{"classes 11", func(c *Config) { c.Classes = 11 }, "classes = 11"},
	} {
		c := base
		c.Hidden = append([]int(nil), base.Hidden...)
		tc.mod(&c)
		_ = c.Key() // must not panic
		_ = c.Name()
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.msg)
		}
	}
	c := base
	c.LabelNoise = math.NaN()
	if k := c.Key(); len(k) != 20 || k == base.Key() {
		t.Errorf("NaN config key %q", k)
	}
	ok := base
	ok.Batch, ok.TopK, ok.LabelNoise = 6000, 300, 0.2
	if err := ok.Validate(); err != nil {
		t.Errorf("batch = N, top_k = n_prime, label noise 0.2: %v", err)
	}
}

// encodeResult is a cached result for c as Run writes it.
func encodeResult(t *testing.T, r *Result) map[string][]byte {
	t.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(r); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"result.gob": b.Bytes()}
}

// TestCacheBadInput is the cache rows of the bad-input table.
func TestCacheBadInput(t *testing.T) {
	cfg, _ := Paper("mnist", "mlp", "ce", 3, 0)
	other, _ := Paper("mnist", "mlp", "ce", 6, 0)
	key := cfg.Key()

	t.Run("entry that verifies but does not decode is replaced", func(t *testing.T) {
		o := Options{CacheDir: t.TempDir()}
		ch := o.cache()
		if err := ch.Put(key+"-result", map[string][]byte{"result.gob": []byte("not gob")}); err != nil {
			t.Fatal(err)
		}
		if _, ok := Cached(cfg, o); ok {
			t.Fatal("undecodable entry reported as cached")
		}
		if _, ok, err := ch.Peek(key + "-result"); !ok || err != nil {
			t.Fatalf("Cached (a dry run) changed the entry: ok=%v err=%v", ok, err)
		}
		_, err := decodeResult(key, map[string][]byte{"result.gob": []byte("not gob")})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "does not decode") {
			t.Errorf("decode error %v", err)
		}
		// What Run does after recomputing: Put replaces the entry (it used to keep it).
		good := encodeResult(t, &Result{Config: cfg, Key: key})
		if err := ch.Put(key+"-result", good); err != nil {
			t.Fatal(err)
		}
		if r, ok := Cached(cfg, o); !ok || r.Key != key {
			t.Fatalf("after Put: ok=%v", ok)
		}
	})

	t.Run("result stored under another config's key", func(t *testing.T) {
		o := Options{CacheDir: t.TempDir()}
		if err := o.cache().Put(key+"-result", encodeResult(t, &Result{Config: other, Key: other.Key()})); err != nil {
			t.Fatal(err)
		}
		if _, ok := Cached(cfg, o); ok {
			t.Error("a result for another config was returned")
		}
		_, err := decodeResult(key, encodeResult(t, &Result{Config: other, Key: other.Key()}))
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "want key "+key) {
			t.Errorf("mismatch error %v", err)
		}
		// Right config, wrong stored key field.
		_, err = decodeResult(key, encodeResult(t, &Result{Config: cfg, Key: "x"}))
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("stored key mismatch: %v", err)
		}
		got, _ := CachedResults(o)
		if len(got) != 0 {
			t.Errorf("CachedResults returned %d mismatched results", len(got))
		}
	})

	t.Run("training run stored under another config's key", func(t *testing.T) {
		files := map[string][]byte{"history.json": []byte(`{"config":{"dataset":"mnist"},"history":{"epochs":[]}}`)}
		_, err := decodeTrained(cfg, files)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "cached training run is for config") {
			t.Errorf("err = %v", err)
		}
		if _, err := decodeTrained(cfg, map[string][]byte{"history.json": []byte("{")}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("unparsable history: %v", err)
		}
	})

	t.Run("dry run changes nothing", func(t *testing.T) {
		o := Options{CacheDir: t.TempDir()}
		ch := o.cache()
		if err := ch.Put(key+"-result", encodeResult(t, &Result{Config: cfg, Key: key})); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(ch.Dir, key+"-result", "result.gob")
		if err := os.WriteFile(p, []byte("flipped"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := Cached(cfg, o); ok {
			t.Fatal("corrupt entry reported as cached")
		}
		if _, ok, err := ch.Peek(key + "-result"); ok || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Peek: ok=%v err=%v", ok, err)
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("a dry run removed the corrupt entry: %v", err)
		}
		if got, _ := CachedResults(o); len(got) != 0 {
			t.Fatal("CachedResults returned a corrupt result")
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("CachedResults removed the corrupt entry: %v", err)
		}
		// Get (the computing path) does remove it.
		if _, ok, err := ch.Get(key + "-result"); ok || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Get: ok=%v err=%v", ok, err)
		}
		if _, err := os.Stat(filepath.Dir(p)); !os.IsNotExist(err) {
			t.Fatalf("Get left the corrupt entry: %v", err)
		}
	})

	t.Run("modes 0755 and 0644 under the umask", func(t *testing.T) {
		old := syscall.Umask(0o022)
		defer syscall.Umask(old)
		ch := Cache{Dir: filepath.Join(t.TempDir(), "cache")}
		if err := ch.Put("k", map[string][]byte{"a.bin": {1}}); err != nil {
			t.Fatal(err)
		}
		for p, want := range map[string]os.FileMode{
			filepath.Join(ch.Dir, "k"):               0o755,
			filepath.Join(ch.Dir, "k", "a.bin"):      0o644,
			filepath.Join(ch.Dir, "k", manifestName): 0o644,
		} {
			st, err := os.Stat(p)
			if err != nil || st.Mode().Perm() != want {
				t.Errorf("%s: mode %v (%v), want %v", p, st.Mode().Perm(), err, want)
			}
		}
	})

	t.Run("Put over an existing entry", func(t *testing.T) {
		ch := Cache{Dir: t.TempDir()}
		if err := ch.Put("k", map[string][]byte{"a": {1}}); err != nil {
			t.Fatal(err)
		}
		if err := ch.Put("k", map[string][]byte{"a": {2}}); err != nil {
			t.Fatalf("second Put: %v (used to fail with \"file exists\" when the first entry could not be read)", err)
		}
		files, ok, _ := ch.Get("k")
		if !ok || files["a"][0] != 2 {
			t.Errorf("entry not replaced: %v", files)
		}
		// An existing entry this user cannot read (another user's 0700 entry) is replaced.
		if os.Getuid() != 0 {
			if err := os.Chmod(filepath.Join(ch.Dir, "k"), 0o300); err != nil {
				t.Fatal(err)
			}
			if err := ch.Put("k", map[string][]byte{"a": {3}}); err != nil {
				t.Fatalf("Put over an unreadable entry: %v", err)
			}
			if files, ok, _ := ch.Get("k"); !ok || files["a"][0] != 3 {
				t.Errorf("unreadable entry not replaced")
			}
		}
		assertOnlyEntries(t, ch.Dir, "k")
	})

	t.Run("stale temporaries are cleaned", func(t *testing.T) {
		ch := Cache{Dir: t.TempDir()}
		host, _ := os.Hostname()
		host = strings.NewReplacer("-", "_", "/", "_", ".", "_").Replace(host)
		old := filepath.Join(ch.Dir, ".tmp-k1-otherhost-12-abcd")        // another host, 2 h old
		dead := filepath.Join(ch.Dir, ".tmp-k2-"+host+"-999999999-abcd") // this host, no such pid
		live := filepath.Join(ch.Dir, ".tmp-k3-"+host+"-1-abcd")         // this host, pid 1 is alive
		fresh := filepath.Join(ch.Dir, ".tmp-k4-otherhost-12-abcd")      // another host, new
		legacy := filepath.Join(ch.Dir, ".tmp-k5-123456")                // the old naming, new
		for _, d := range []string{old, dead, live, fresh, legacy} {
			if err := os.MkdirAll(filepath.Join(d, "x"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		past := time.Now().Add(-2 * StaleTempAge)
		os.Chtimes(old, past, past)
		if err := ch.Put("k", map[string][]byte{"a": {1}}); err != nil {
			t.Fatal(err)
		}
		for d, want := range map[string]bool{old: false, dead: false, live: true, fresh: true, legacy: true} {
			if _, err := os.Stat(d); (err == nil) != want {
				t.Errorf("%s: present=%v, want %v", filepath.Base(d), err == nil, want)
			}
		}
	})

	t.Run("bad keys and file names", func(t *testing.T) {
		ch := Cache{Dir: t.TempDir()}
		for _, k := range []string{"", "..", "a/b", ".tmp-x"} {
			if err := ch.Put(k, nil); err == nil || !strings.Contains(err.Error(), "not allowed") {
				t.Errorf("key %q: %v", k, err)
			}
		}
		for _, n := range []string{"../x", manifestName, "", "a/b"} {
			if err := ch.Put("k", map[string][]byte{n: nil}); err == nil || !strings.Contains(err.Error(), "not allowed") {
				t.Errorf("file %q: %v", n, err)
			}
		}
		assertOnlyEntries(t, ch.Dir)
	})

	t.Run("diverged training is not cached", func(t *testing.T) {
		o := Options{CacheDir: t.TempDir()}
		c := cfg
		c.Hidden, c.Classes, c.PerClass, c.Batch, c.Epochs, c.Checkpoints = []int{8}, 3, 20, 4, 3, nil
		c.LR = 1e9
		set := randomSet(60, 3)
		_, err := Train(context.Background(), c, set, o)
		if err == nil || !strings.Contains(err.Error(), "diverged at epoch") {
			t.Fatalf("lr 1e9: err = %v, want a divergence error naming the epoch", err)
		}
		assertOnlyEntries(t, o.CacheDir)
	})
}

// randomSet is a set of n random 4x4 one-channel images with random labels in 0..classes-1.
func randomSet(n, classes int) *data.Set {
	x, labels := testkit.RandomClassification(rand.New(rand.NewPCG(1, 2)), n, 16, classes)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return &data.Set{Name: "random", X: x, Labels: labels, Channels: 1, Height: 4, Width: 4, Classes: classes, Indices: idx}
}

// assertOnlyEntries fails unless dir holds exactly the named entries (no temporaries).
func assertOnlyEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

// TestRunCanceledDuringAnalysis: Ctrl-C during the analysis stops Run within the analysis,
// keeps the finished training run cached, and writes no result and no temporary.
func TestRunCanceledDuringAnalysis(t *testing.T) {
	needMNIST(t)
	c := tiny(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var canceledAt time.Time
	o := Options{CacheDir: dir, Progress: func(ev Event) {
		if ev.Stage == "analyze" && canceledAt.IsZero() && strings.Contains(ev.Message, "dense") {
			canceledAt = time.Now()
			cancel()
		}
	}}
	_, err := Run(ctx, c, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(canceledAt); d > 2*time.Second {
		t.Errorf("Run returned %v after cancellation", d)
	}
	assertOnlyEntries(t, dir, c.Key()+"-train")
	var cachedTrain bool
	o.Progress = func(ev Event) { cachedTrain = cachedTrain || (ev.Stage == "train" && ev.Message == "cached") }
	if _, err := Run(context.Background(), c, o); err != nil || !cachedTrain {
		t.Fatalf("rerun: err %v, training from cache %v", err, cachedTrain)
	}
}
