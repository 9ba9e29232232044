package experiment

import (
	"bytes"
	"encoding/gob"
	"errors"
	"os"
	"strings"
)

// CachedResults loads every valid experiment result in the cache (corrupt entries are skipped
// and removed by Cache.Get), for reports over whatever has been computed so far.
func CachedResults(o Options) ([]*Result, error) {
	ch := o.cache()
	ents, err := os.ReadDir(ch.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Result
	for _, e := range ents {
		if !e.IsDir() || !strings.HasSuffix(e.Name(), "-result") {
			continue
		}
		files, ok, _ := ch.Get(e.Name())
		if !ok {
			continue
		}
		var r Result
		if err := gob.NewDecoder(bytes.NewReader(files["result.gob"])).Decode(&r); err != nil {
			continue // written by an older format: the key would differ anyway
		}
		out = append(out, &r)
	}
	return out, nil
}
