package nn

import (
	"bytes"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/internal/fuzzcorpus"
)

// The seed corpora are in testdata/fuzz/Fuzz*; regenerate them with
// NOISECURV_WRITE_CORPUS=1 go test -run TestWriteFuzzCorpus ./lib/nn.

// FuzzNPY feeds arbitrary bytes to the .npy header reader: it must never panic, and a header it
// accepts has at most 64 non-negative dimensions.
func FuzzNPY(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := readNPYHeader(bytes.NewReader(in))
		if err != nil {
			return
		}
		if len(h.Shape) > maxNPYDims {
			t.Fatalf("accepted %d dimensions", len(h.Shape))
		}
		for _, d := range h.Shape {
			if d < 0 {
				t.Fatalf("accepted shape %v", h.Shape)
			}
		}
	})
}

// FuzzNPZ feeds arbitrary bytes to ImportNPZ: it must never panic or allocate beyond what the
// input can hold, and what it accepts is consistent: finite weights, one label per row of x.
func FuzzNPZ(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		m, x, y, idx, err := ImportNPZ(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			return
		}
		for _, p := range m.Params() {
			for i, v := range p.Value {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("accepted %s[%d] = %v", p.Name, i, v)
				}
			}
		}
		n := -1
		if x != nil {
			var c int
			n, c = x.Dims()
			if c != m.Spec.In.Size() {
				t.Fatalf("x has %d columns for input %v", c, m.Spec.In)
			}
		}
		for _, l := range [][]int{y, idx} {
			if l != nil && n >= 0 && len(l) != n {
				t.Fatalf("%d labels or indices for %d rows", len(l), n)
			}
		}
	})
}

// FuzzModelFile feeds arbitrary bytes to ReadModel: it must never panic or allocate from a
// size it has not verified, and a model it accepts saves and reads back.
func FuzzModelFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		m, meta, err := ReadModel(bytes.NewReader(in))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := WriteModel(&b, m, meta); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ReadModel(&b); err != nil {
			t.Fatalf("accepted model does not read back: %v", err)
		}
	})
}

var slug = regexp.MustCompile(`[^A-Za-z0-9]+`)

// TestWriteFuzzCorpus writes the committed seed corpora; it runs only when asked to.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("NOISECURV_WRITE_CORPUS") == "" {
		t.Skip("set NOISECURV_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	const maxSeed = 16 << 10 // keep the committed corpus small
	npz := map[string][]byte{}
	npy := map[string][]byte{}
	for _, tc := range npzBadCases() {
		if len(tc.data) <= maxSeed {
			npz[strings.Trim(slug.ReplaceAllString(tc.name, "_"), "_")] = tc.data
		}
	}
	npy["v1_f8"] = npyBytes(1, npyDict("<f8", "(2, 3)"), nil)
	npy["v2_u1"] = npyBytes(2, npyDict("|u1", "(7,)"), nil)
	npy["scalar"] = npyBytes(1, npyDict("<f8", "()"), nil)
	npy["python2_long"] = npyBytes(1, "{'descr': '<i8', 'fortran_order': True, 'shape': (3L, 4L), }", nil)
	npy["shape_2_61"] = npyBytes(1, npyDict("<f8", "(2305843009213693952,)"), nil)
	npy["dims_65"] = npyBytes(1, npyDict("<f8", "("+string(bytes.Repeat([]byte("1, "), 65))+")"), nil)
	npy["v2_len_16MiB"] = []byte("\x93NUMPY\x02\x00\x00\x00\x00\x01")
	npy["unterminated"] = npyBytes(1, "{'descr': '<f8", nil)
	npy["bad_magic"] = []byte("\x93NUMPX\x01\x00\x00\x00")

	model := map[string][]byte{}
	for i, m := range ckModels(t) {
		var b bytes.Buffer
		if err := WriteModel(&b, m, map[string]string{"epoch": "3"}); err != nil {
			t.Fatal(err)
		}
		good := b.Bytes()
		p := "m" + strconv.Itoa(i) + "_"
		model[p+"valid"] = good
		model[p+"truncated"] = good[:len(good)/2]
		model[p+"flipped"] = append(append([]byte(nil), good[:40]...), append([]byte{good[40] ^ 1}, good[41:]...)...)
		model[p+"huge_out_old_sum"] = withHeader(good, `"out":2000000000`, false)
		model[p+"huge_out_valid_sum"] = withHeader(good, `"out":2000000000`, true)
	}
	for _, tc := range modelBadCases(t) {
		if len(tc.data) <= maxSeed {
			model["case_"+strings.Trim(slug.ReplaceAllString(tc.name, "_"), "_")] = tc.data
		}
	}
	for fuzz, m := range map[string]map[string][]byte{"FuzzNPY": npy, "FuzzNPZ": npz, "FuzzModelFile": model} {
		if err := fuzzcorpus.Write(".", fuzz, m); err != nil {
			t.Fatal(err)
		}
	}
}
