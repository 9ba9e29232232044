package fuzzcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteMatchesGoEncoding compares with a corpus file in the format `go test -fuzz`
// writes itself (quoted string, non-printable bytes escaped).
func TestWriteMatchesGoEncoding(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, "FuzzX", map[string][]byte{"a": {0x93, 'N', 'U', 'M', 'P', 'Y', 0, '"'}}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "testdata", "fuzz", "FuzzX", "a"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "go test fuzz v1\n[]byte(\"\\x93NUMPY\\x00\\\"\")\n"; string(got) != want {
		t.Errorf("corpus file %q, want %q", got, want)
	}
}
