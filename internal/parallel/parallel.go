// Package parallel splits loops over independent items among goroutines, the one helper
// behind lib/curv's Kronecker passes and lib/nn's float32 elementwise passes.
//
// Ranges hands each goroutine a consecutive range of items and its worker index (for
// per-worker scratch). Callers write only what their items own, so results do not depend
// on how many workers there are.
package parallel

import (
	"runtime"
	"sync"
)

// Grain is the work, in element operations, below which splitting is not worth a goroutine
// (starting one costs about a microsecond).
const Grain = 1 << 15

// Workers is how many goroutines n items of cost element operations each are worth: at most
// GOMAXPROCS and n, at least 1.
func Workers(n, cost int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n, n*cost/Grain))
}

// Ranges splits [0, n) into workers consecutive ranges [w n/workers, (w+1) n/workers) and
// calls fn(w, lo, hi) for each, concurrently, returning when all have returned. workers is
// clamped to [1, n]; with one worker fn runs on the calling goroutine. Nothing runs for
// n <= 0.
func Ranges(n, workers int, fn func(w, lo, hi int)) {
	if n <= 0 {
		return
	}
	workers = max(1, min(workers, n))
	if workers == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() { fn(w, lo, hi) })
	}
	wg.Wait()
}
