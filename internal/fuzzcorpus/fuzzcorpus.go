// Package fuzzcorpus writes seed corpora for Go's fuzzer: one file per input under
// testdata/fuzz/FuzzName, in the "go test fuzz v1" encoding of a single []byte argument.
// The fuzz tests of lib/data and lib/nn regenerate their committed corpora with it.
package fuzzcorpus

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Encode returns the corpus file contents for one []byte input.
func Encode(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

// Write writes every input of m (file name -> input) to dir/testdata/fuzz/fuzz/name.
func Write(dir, fuzz string, m map[string][]byte) error {
	d := filepath.Join(dir, "testdata", "fuzz", fuzz)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("fuzzcorpus: %w", err)
	}
	for name, b := range m {
		if err := os.WriteFile(filepath.Join(d, name), Encode(b), 0o644); err != nil {
			return fmt.Errorf("fuzzcorpus: %w", err)
		}
	}
	return nil
}
