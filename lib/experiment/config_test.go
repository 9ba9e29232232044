package experiment

import (
	"strings"
	"testing"
)

func TestPaperGrid(t *testing.T) {
	cs := Grid([]uint64{0, 1, 2, 3}, false, nil, nil, nil)
	if got, want := len(cs), 8*3*4; got != want {
		t.Fatalf("grid has %d configs, want %d (8 rows x 3 class counts x 4 seeds)", got, want)
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Name(), err)
		}
		if seen[c.Key()] {
			t.Errorf("%s: duplicate key", c.Name())
		}
		seen[c.Key()] = true
	}
	c, err := Paper("cifar10", "cnn", "ce", 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.PerClass != 5000 || c.NPrime != 500 || c.Batch != 128 {
		t.Errorf("CIFAR CNN CE C'=3: per class %d, N' %d, B %d; want 5000, 500, 128 (Table 1)", c.PerClass, c.NPrime, c.Batch)
	}
	m, _ := Paper("mnist", "mlp", "ce", 10, 0)
	if m.Targets[0] != "fc2" || targetDim(m) != 2500 {
		t.Errorf("MNIST MLP target %s with D = %d, want fc2 with 2500", m.Targets[0], targetDim(m))
	}
}

func TestPaperErrors(t *testing.T) {
	if _, err := Paper("mnist", "mlp", "ce", 4, 0); err == nil || !strings.Contains(err.Error(), "3, 6 or 10") {
		t.Errorf("classes 4: err = %v", err)
	}
	if _, err := Paper("svhn", "mlp", "ce", 10, 0); err == nil {
		t.Error("unknown dataset accepted")
	}
}

func TestFastKeepsCodePathAndShrinks(t *testing.T) {
	for _, c := range Grid([]uint64{0}, false, nil, nil, nil) {
		f := Fast(c)
		if err := f.Validate(); err != nil {
			t.Errorf("fast %s: %v", c.Name(), err)
		}
		if f.Model != c.Model || f.Loss != c.Loss || f.Dataset != c.Dataset || f.Targets[0] != c.Targets[0] {
			t.Errorf("fast %s changed the code path", c.Name())
		}
		if targetDim(f) >= targetDim(c) || f.NPrime > targetDim(f) || f.Key() == c.Key() {
			t.Errorf("fast %s: D %d (paper %d), N' %d", c.Name(), targetDim(f), targetDim(c), f.NPrime)
		}
	}
}

func TestValidateNamesField(t *testing.T) {
	c, _ := Paper("mnist", "mlp", "ce", 10, 0)
	c.Batch = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "batch") {
		t.Errorf("batch 0: err = %v, want it to name the field", err)
	}
	c, _ = Paper("mnist", "mlp", "ce", 10, 0)
	c.Checkpoints = []int{500}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "checkpoints") {
		t.Errorf("checkpoint past the end: err = %v", err)
	}
}

func TestShardPartitions(t *testing.T) {
	cs := Grid([]uint64{0, 1}, true, nil, nil, nil)
	seen := map[string]int{}
	for i := 0; i < 5; i++ {
		s, err := Shard(cs, i, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range s {
			seen[c.Key()]++
		}
	}
	if len(seen) != len(cs) {
		t.Fatalf("shards cover %d configs, want %d", len(seen), len(cs))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("config %s in %d shards", k, n)
		}
	}
	if _, err := Shard(cs, 5, 5); err == nil {
		t.Error("shard 5/5 accepted")
	}
}

// TestKeyPrecision pins cache keys computed before Config had a Precision field: a float64
// config must keep them, so that float64 results cached then are still found.
func TestKeyPrecision(t *testing.T) {
	mlp, _ := Paper("mnist", "mlp", "ce", 10, 0)
	cnn, _ := Paper("mnist", "cnn", "mse", 3, 2)
	for _, tc := range []struct {
		name string
		c    Config
		key  string
	}{
		{"paper mnist mlp ce c10 s0", mlp, "53cc5f8982ceb3cf8835"},
		{"fast of it", Fast(mlp), "a16c4a95dc9c9e54ec0a"},
		{"paper mnist cnn mse c3 s2", cnn, "5e31175ca4203f6dbebf"},
		{"layer-wise s1 (targets fc2..fc5 since the output layer joined v2)", LayerWise(1), "da3a09007fc279fa535b"},
	} {
		if tc.c.Precision != Float32 {
			t.Errorf("%s: preset precision %q, want float32", tc.name, tc.c.Precision)
		}
		f32 := tc.c.Key()
		tc.c.Precision = Float64
		if got := tc.c.Key(); got != tc.key {
			t.Errorf("%s, float64: key %s, want %s (the key before Precision existed)", tc.name, got, tc.key)
		}
		tc.c.Precision = ""
		if got := tc.c.Key(); got != tc.key {
			t.Errorf("%s, precision \"\": key %s, want %s", tc.name, got, tc.key)
		}
		if f32 == tc.key {
			t.Errorf("%s: float32 and float64 share the key %s", tc.name, f32)
		}
	}
	// Float32 CNN keys moved when lib/nn began training a CNN's minibatch in chunks (another
	// float32 arithmetic); float32 MLP keys did not.
	for _, tc := range []struct {
		name     string
		c        Config
		old, now string
	}{
		{"paper mnist cnn mse c3 s2", cnn, "fa63c3fe692b49a15f94", "df3e95d0cb7685e81cc9"},
		{"fast of it", Fast(cnn), "5561b058dbeeb2c1340e", "26dc90b83911c33df100"},
		{"paper mnist mlp ce c10 s0", mlp, "551fa300cc7545bda5dd", "551fa300cc7545bda5dd"},
	} {
		if got := tc.c.Key(); got != tc.now {
			t.Errorf("%s, float32: key %s, want %s (before chunked CNN training: %s)", tc.name, got, tc.now, tc.old)
		}
	}
	mlp.Precision = "float16"
	if err := mlp.Validate(); err == nil || !strings.Contains(err.Error(), "precision") {
		t.Errorf("precision float16: Validate() = %v, want an error naming the field", err)
	}
}
