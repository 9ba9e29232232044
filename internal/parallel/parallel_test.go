package parallel

import (
	"sync/atomic"
	"testing"
)

// TestRangesCoversOnce checks that every index goes to exactly one call, that worker
// indices are distinct and in range, and that n <= 0 calls nothing.
func TestRangesCoversOnce(t *testing.T) {
	for _, c := range [][2]int{{0, 3}, {-1, 2}, {1, 1}, {7, 3}, {5, 9}, {1000, 4}, {100003, 2}} {
		n, workers := c[0], c[1]
		hits := make([]atomic.Int32, max(n, 0))
		var seen [16]atomic.Int32
		calls := atomic.Int32{}
		Ranges(n, workers, func(w, lo, hi int) {
			calls.Add(1)
			if w < 0 || w >= max(1, min(workers, n)) || seen[w].Add(1) != 1 {
				t.Errorf("n=%d workers=%d: bad or repeated worker %d", n, workers, w)
			}
			if lo < 0 || hi > n || lo >= hi {
				t.Errorf("n=%d workers=%d: bad range [%d, %d)", n, workers, lo, hi)
				return
			}
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
		})
		if n <= 0 && calls.Load() != 0 {
			t.Errorf("n=%d: %d calls, want none", n, calls.Load())
		}
		for i := range hits {
			if h := hits[i].Load(); h != 1 {
				t.Fatalf("n=%d workers=%d: index %d handled %d times", n, workers, i, h)
			}
		}
	}
}

// TestWorkers: small work stays on one goroutine, and never more workers than items.
func TestWorkers(t *testing.T) {
	if w := Workers(10, 1); w != 1 {
		t.Errorf("Workers(10, 1) = %d, want 1", w)
	}
	if w := Workers(3, 1<<30); w > 3 || w < 1 {
		t.Errorf("Workers(3, huge) = %d, want 1..3", w)
	}
	if w := Workers(0, 1); w != 1 {
		t.Errorf("Workers(0, 1) = %d, want 1", w)
	}
}
