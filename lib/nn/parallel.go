package nn

import (
	"runtime"
	"sync"
)

// parallelGrain is the work, in element operations, below which a pass is not worth
// splitting among goroutines (starting one costs about a microsecond).
const parallelGrain = 1 << 15

// forRanges calls f on consecutive ranges [lo, hi) that cover [0, n), concurrently on up to
// GOMAXPROCS goroutines when n items of cost element operations each are worth splitting.
// Every index is handled by exactly one call and f must write only what its indices own, so
// the result does not depend on the split (nor on GOMAXPROCS).
func forRanges(n, cost int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), n, max(1, n*cost/parallelGrain))
	if workers <= 1 {
		f(0, n)
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := per; lo < n; lo += per {
		wg.Go(func() { f(lo, min(n, lo+per)) })
	}
	f(0, per)
	wg.Wait()
}
