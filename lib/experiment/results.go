package experiment

import (
	"errors"
	"os"
	"strings"
)

// CachedResults loads every valid experiment result in the cache, for reports over whatever
// has been computed so far. It changes nothing: corrupt entries are skipped, not removed.
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
		files, ok, _ := ch.Peek(e.Name())
		if !ok {
			continue
		}
		r, err := decodeResult(strings.TrimSuffix(e.Name(), "-result"), files)
		if err != nil {
			continue // corrupt, or filed under another key: Run replaces it
		}
		out = append(out, r)
	}
	return out, nil
}
