package experiment

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

// Cached returns the cached result of c without computing anything and without changing the
// cache: ok is false when the cache holds no valid entry for c (never run, run by another
// format version, corrupt, or holding a result for another config). A corrupt entry is left
// in place (Cache.Peek); the next Run replaces it. Reports over the paper's grid and dry runs
// use it to show what has been computed so far and to name what is missing.
func Cached(c Config, o Options) (*Result, bool) {
	o.Log = nil // a miss is not an event here
	return cachedResult(c, o, true)
}

// cachedResult reads the stored Result of c (ok false on a miss, a corrupt entry or a result
// for another config; logged). With peek nothing changes on disk (Cache.Peek); otherwise a
// corrupt entry is removed (Cache.Get), and one that verifies but does not decode is replaced
// by the Put that follows its recomputation.
func cachedResult(c Config, o Options, peek bool) (*Result, bool) {
	read := o.cache().Get
	if peek {
		read = o.cache().Peek
	}
	files, ok, err := read(c.Key() + "-result")
	if err != nil {
		o.logf(c.Name(), "%v; recomputing", err)
	}
	if !ok {
		return nil, false
	}
	r, err := decodeResult(c.Key(), files)
	if err != nil {
		o.logf(c.Name(), "%v; recomputing", err)
		return nil, false
	}
	return r, true
}

// decodeResult decodes a cached result and checks it against the key it was stored under:
// the config stored inside must have that key (so a result filed under the wrong key, or
// decoded into different fields by another version, is never used). Errors wrap ErrCorrupt.
func decodeResult(key string, files map[string][]byte) (*Result, error) {
	b, ok := files["result.gob"]
	if !ok {
		return nil, fmt.Errorf("experiment: cached result has no result.gob: %w", ErrCorrupt)
	}
	var r Result
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&r); err != nil {
		return nil, fmt.Errorf("experiment: cached result does not decode (%v): %w", err, ErrCorrupt)
	}
	if k := r.Config.Key(); k != key || r.Key != key {
		return nil, fmt.Errorf("experiment: cached result is for config %s (key %s, stored key %s), want key %s: %w", r.Config.Name(), k, r.Key, key, ErrCorrupt)
	}
	return &r, nil
}
