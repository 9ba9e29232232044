package experiment

import (
	"bytes"
	"encoding/gob"
)

// Cached returns the cached result of c without computing anything: ok is false when the
// cache holds no valid entry for c (never run, run by another format version, or corrupt;
// a corrupt entry is removed by Cache.Get and reported as a miss). Reports over the paper's
// grid use it to show what has been computed so far and to name what is missing.
func Cached(c Config, o Options) (*Result, bool) {
	files, ok, err := o.cache().Get(c.Key() + "-result")
	if err != nil || !ok {
		return nil, false
	}
	var r Result
	if err := gob.NewDecoder(bytes.NewReader(files["result.gob"])).Decode(&r); err != nil {
		return nil, false
	}
	return &r, true
}
