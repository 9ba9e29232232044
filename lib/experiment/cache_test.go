package experiment

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCacheRoundTripAndCorruption(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	if _, ok, err := c.Get("k1"); ok || err != nil {
		t.Fatalf("empty cache: ok=%v err=%v, want a plain miss", ok, err)
	}
	want := map[string][]byte{"result.json": []byte(`{"gamma":1.2}`), "model.bin": {1, 2, 3}}
	if err := c.Put("k1", want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get("k1")
	if !ok || err != nil {
		t.Fatalf("Get after Put: ok=%v err=%v", ok, err)
	}
	for k, v := range want {
		if string(got[k]) != string(v) {
			t.Errorf("file %s = %q, want %q", k, got[k], v)
		}
	}
	// Flip one byte: the entry must be detected, reported and removed, never returned.
	p := filepath.Join(c.Dir, "k1", "model.bin")
	if err := os.WriteFile(p, []byte{1, 2, 4}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Get("k1"); ok || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupted entry: ok=%v err=%v, want a miss wrapping ErrCorrupt", ok, err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "k1")); !os.IsNotExist(err) {
		t.Fatalf("corrupted entry still present: %v", err)
	}
	// A leftover temporary folder from a killed writer is not an entry.
	if err := os.MkdirAll(filepath.Join(c.Dir, ".tmp-k2-123"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Get("k2"); ok || err != nil {
		t.Fatalf("half-written entry: ok=%v err=%v, want a plain miss", ok, err)
	}
}

func TestCacheRejectsBadNames(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	if err := c.Put("k", map[string][]byte{"../x": nil}); err == nil {
		t.Fatal("Put accepted a file name with a path")
	}
}
