package experiment

import (
	"bytes"
	"encoding/gob"
	"os"
	"path/filepath"
	"testing"
)

func TestCachedReadsOnlyWhatIsThere(t *testing.T) {
	o := Options{CacheDir: t.TempDir()}
	c, err := Paper("mnist", "mlp", "ce", 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	c = Fast(c)
	if r, ok := Cached(c, o); ok || r != nil {
		t.Fatalf("empty cache: Cached = %v, %v; want a miss", r, ok)
	}
	want := &Result{Config: c, Key: c.Key(), N: 900, Snapshots: []Snapshot{{Epoch: 30, Layers: []Layer{{Target: "fc2", D: 1024}}}}}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(want); err != nil {
		t.Fatal(err)
	}
	if err := o.cache().Put(c.Key()+"-result", map[string][]byte{"result.gob": b.Bytes()}); err != nil {
		t.Fatal(err)
	}
	r, ok := Cached(c, o)
	if !ok || r.N != 900 || r.Key != c.Key() || r.Snapshots[0].Layers[0].D != 1024 {
		t.Fatalf("Cached after Put = %+v, %v; want the stored result", r, ok)
	}
	// Another seed is another key: a miss.
	c2 := c
	c2.Seed++
	if _, ok := Cached(c2, o); ok {
		t.Fatal("Cached found a result for a config that was never stored")
	}
	// A corrupted entry is a miss, not an error.
	if err := os.WriteFile(filepath.Join(o.CacheDir, c.Key()+"-result", "result.gob"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := Cached(c, o); ok {
		t.Fatal("Cached returned a corrupted entry")
	}
}
