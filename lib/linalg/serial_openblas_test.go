//go:build openblas

package linalg

import (
	"regexp"
	"strconv"
	"testing"
)

// openblasThreads reads OpenBLAS's thread count from the backend description.
func openblasThreads(t *testing.T) int {
	m := regexp.MustCompile(`; (\d+) threads\)`).FindStringSubmatch(backendInfo())
	if m == nil {
		t.Fatalf("no thread count in %q", backendInfo())
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestSerialThreads: OpenBLAS is single-threaded while any holder keeps SerialThreads, the
// last release restores the count found by the first, and a release counts once.
func TestSerialThreads(t *testing.T) {
	before := openblasThreads(t)
	r1 := SerialThreads() // the package function reaches the adapter
	r2 := openblasImpl{}.SerialThreads()
	if n := openblasThreads(t); n != 1 {
		t.Fatalf("%d threads while held, want 1", n)
	}
	r1()
	r1()
	if n := openblasThreads(t); n != 1 {
		t.Fatalf("%d threads after one of two holders released (twice), want 1", n)
	}
	r2()
	if n := openblasThreads(t); n != before {
		t.Fatalf("%d threads after the last release, want %d", n, before)
	}
	if before == 1 {
		t.Log("OpenBLAS runs one thread here; the restore was not exercised (set OPENBLAS_NUM_THREADS=2)")
	}
}
