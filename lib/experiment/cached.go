package experiment

// Cached returns the cached result of c without computing anything: ok is false when the
// cache holds no valid entry for c (never run, run by another format version, or corrupt;
// a corrupt entry is removed by Cache.Get and reported as a miss). Reports over the paper's
// grid use it to show what has been computed so far and to name what is missing.
func Cached(c Config, o Options) (*Result, bool) {
	o.Log = nil // a miss is not an event here
	return cachedResult(c, o)
}
