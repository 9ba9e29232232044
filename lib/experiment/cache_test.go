package experiment

import (
	"errors"
	"fmt"
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

// TestCacheMerge merges two shard caches: valid entries are copied, entries already valid
// here are kept, a corrupt local entry is replaced by a valid source copy, source entries
// that do not verify are reported and never copied, temporary folders are ignored, and the
// sources are left untouched.
func TestCacheMerge(t *testing.T) {
	local := Cache{Dir: t.TempDir()}
	a, b := Cache{Dir: t.TempDir()}, Cache{Dir: t.TempDir()}
	put := func(c Cache, key, body string) {
		t.Helper()
		if err := c.Put(key, map[string][]byte{"result.gob": []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	put(local, "kept", "local")
	put(local, "broken-here", "local")
	if err := os.WriteFile(filepath.Join(local.Dir, "broken-here", "result.gob"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	put(a, "kept", "from a")
	put(a, "new-a", "a")
	put(a, "broken-here", "a")
	put(b, "new-b", "b")
	put(b, "bad-digest", "b")
	if err := os.WriteFile(filepath.Join(b.Dir, "bad-digest", "result.gob"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(b.Dir, "no-manifest"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(b.Dir, ".tmp-x-1"), 0o755); err != nil {
		t.Fatal(err)
	}

	ra, err := local.Merge(a.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ra.Copied) != "[broken-here new-a]" || fmt.Sprint(ra.Present) != "[kept]" || len(ra.Skipped) != 0 {
		t.Errorf("merge a: copied %v, present %v, skipped %v", ra.Copied, ra.Present, ra.Skipped)
	}
	rb, err := local.Merge(b.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rb.Copied) != "[new-b]" || len(rb.Present) != 0 || len(rb.Skipped) != 2 {
		t.Errorf("merge b: copied %v, present %v, skipped %v", rb.Copied, rb.Present, rb.Skipped)
	}
	for _, e := range rb.Skipped {
		if !errors.Is(e, ErrCorrupt) {
			t.Errorf("skipped entry error %v does not wrap ErrCorrupt", e)
		}
	}
	for key, want := range map[string]string{"kept": "local", "broken-here": "a", "new-a": "a", "new-b": "b"} {
		files, ok, err := local.Get(key)
		if !ok || err != nil || string(files["result.gob"]) != want {
			t.Errorf("after merge, %s: ok=%v err=%v body %q, want %q", key, ok, err, files["result.gob"], want)
		}
	}
	if _, err := os.Stat(filepath.Join(local.Dir, "bad-digest")); !os.IsNotExist(err) {
		t.Errorf("a source entry that does not verify was copied: %v", err)
	}
	// The source is only read: its bad entry is still there for the user to inspect.
	if _, err := os.Stat(filepath.Join(b.Dir, "bad-digest", "result.gob")); err != nil {
		t.Errorf("Merge modified the source: %v", err)
	}
	if _, err := local.Merge(local.Dir); err == nil {
		t.Error("merging a cache into itself was accepted")
	}
	if _, err := local.Merge(filepath.Join(a.Dir, "missing")); err == nil {
		t.Error("a missing source folder was accepted")
	}
}
