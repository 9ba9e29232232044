package nn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// ckModels are small models covering dense (with and without bias), conv and the activations.
func ckModels(t testing.TB) []*Model {
	t.Helper()
	small := Spec{In: Shape{2, 6, 6}, Layers: []LayerSpec{
		{Kind: KindConv2D, Out: 3, Bias: true}, {Kind: KindReLU}, {Kind: KindMaxPool},
		{Kind: KindConv2D, Out: 4}, {Kind: KindTanh}, {Kind: KindAvgPool}, {Kind: KindFlatten},
		{Kind: KindDense, Out: 5, Bias: true}, {Kind: KindReLU}, {Kind: KindDense, Out: 3},
	}}
	return []*Model{trModel(t, MLP(7, []int{5, 4}, 3, KindReLU), 1), trModel(t, small, 2)}
}

func ckSame(t *testing.T, got, want *Model) {
	t.Helper()
	if !reflect.DeepEqual(got.Spec, want.Spec) {
		t.Fatalf("spec %+v, want %+v", got.Spec, want.Spec)
	}
	pg, pw := got.Params(), want.Params()
	if len(pg) != len(pw) {
		t.Fatalf("%d params, want %d", len(pg), len(pw))
	}
	for i := range pw {
		if pg[i].Name != pw[i].Name || !reflect.DeepEqual(pg[i].Shape, pw[i].Shape) {
			t.Fatalf("param %d: %s %v, want %s %v", i, pg[i].Name, pg[i].Shape, pw[i].Name, pw[i].Shape)
		}
		for j := range pw[i].Value {
			if math.Float64bits(pg[i].Value[j]) != math.Float64bits(pw[i].Value[j]) {
				t.Fatalf("%s[%d] = %v, want %v", pw[i].Name, j, pg[i].Value[j], pw[i].Value[j])
			}
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, m := range ckModels(t) {
		// Special values must survive bit for bit.
		m.Params()[0].Value[0] = math.Copysign(0, -1)
		m.Params()[0].Value[1] = math.SmallestNonzeroFloat64
		var buf bytes.Buffer
		meta := map[string]string{"epoch": "30", "loss": "ce"}
		if err := WriteModel(&buf, m, meta); err != nil {
			t.Fatal(err)
		}
		if got := buf.String()[:8]; got != "NCVMODEL" {
			t.Fatalf("magic %q", got)
		}
		// Two models in one stream: ReadModel consumes exactly one.
		if err := Save(&buf, m); err != nil {
			t.Fatal(err)
		}
		got, gotMeta, err := ReadModel(&buf)
		if err != nil {
			t.Fatal(err)
		}
		ckSame(t, got, m)
		if !reflect.DeepEqual(gotMeta, meta) {
			t.Errorf("meta %v, want %v", gotMeta, meta)
		}
		got2, err := Load(&buf)
		if err != nil {
			t.Fatal(err)
		}
		ckSame(t, got2, m)
		if buf.Len() != 0 {
			t.Errorf("%d bytes left in the stream", buf.Len())
		}
	}
}

func TestSaveFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.ncv")
	ms := ckModels(t)
	for _, m := range ms { // the second save replaces the first
		if err := SaveFileMeta(path, m, map[string]string{"k": "v"}); err != nil {
			t.Fatal(err)
		}
	}
	got, meta, err := LoadFileMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	ckSame(t, got, ms[1])
	if meta["k"] != "v" {
		t.Errorf("meta %v", meta)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only model.ncv (temporary file left behind?)", len(entries))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("stat: %v, mode %v", err, fi.Mode())
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.ncv")); err == nil || !strings.Contains(err.Error(), "missing.ncv") {
		t.Errorf("missing file: %v", err)
	}
	if err := SaveFile(filepath.Join(dir, "no", "such", "dir", "m.ncv"), ms[0]); err == nil || !strings.Contains(err.Error(), "m.ncv") {
		t.Errorf("save into a missing directory: %v", err)
	}
}

// resum replaces the SHA-256 trailer of a one-model file by the digest of its other bytes.
func resum(b []byte) []byte {
	s := sha256.Sum256(b[:len(b)-32])
	copy(b[len(b)-32:], s[:])
	return b
}

// withHeader returns the model file good with its JSON header's first "out":N (or "c":N)
// replaced by field, the header length adjusted, and a valid checksum when sum is true.
func withHeader(good []byte, field string, sum bool) []byte {
	hlen := int(binary.LittleEndian.Uint32(good[12:16]))
	hdr := string(good[16 : 16+hlen])
	key, _, _ := strings.Cut(field, ":")
	re := regexp.MustCompile(regexp.QuoteMeta(key) + `:\d+`)
	loc := re.FindStringIndex(hdr)
	hdr = hdr[:loc[0]] + field + hdr[loc[1]:]
	out := append([]byte(nil), good[:12]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(hdr)))
	out = append(out, hdr...)
	out = append(out, good[16+hlen:]...)
	if sum {
		return resum(out)
	}
	return out
}

// modelBadCase is one corrupt or hostile model file and the error LoadFile must give.
type modelBadCase struct {
	name string
	data []byte
	is   error
	msg  string
}

// modelBadCases lists the model-file rows of the bad-input table (they also seed
// FuzzModelFile).
func modelBadCases(t testing.TB) []modelBadCase {
	m := ckModels(t)[0]
	var buf bytes.Buffer
	if err := Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	hlen := int(binary.LittleEndian.Uint32(good[12:16]))
	valuesAt := 16 + hlen + 4 + 4 + len("fc1.weight") + 4 + 8 + 8 // first value of fc1.weight
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	return []modelBadCase{
		{"bad magic", mod(func(b []byte) []byte { b[0] = 'X'; return b }), ErrBadMagic, "bad magic"},
		{"version", mod(func(b []byte) []byte { b[8] = 2; return b }), ErrUnsupportedVersion, "version 2"},
		{"empty", nil, ErrTruncated, "magic"},
		{"truncated header", good[:20], ErrTruncated, "header"},
		{"truncated values", good[:valuesAt+20], ErrTruncated, "fc1.weight values"},
		{"no checksum", good[:len(good)-32], ErrTruncated, "checksum"},
		{"short checksum", good[:len(good)-1], ErrTruncated, "checksum"},
		{"flipped value bit", mod(func(b []byte) []byte { b[valuesAt+3] ^= 4; return b }), ErrChecksum, "checksum mismatch"},
		{"flipped checksum", mod(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrChecksum, "checksum mismatch"},
		{"trailing bytes", append(append([]byte(nil), good...), 0), ErrChecksum, "after the checksum"},
		{"renamed param", resum(mod(func(b []byte) []byte { b[16+hlen+8] = 'g'; return b })), ErrParamMismatch, `"gc1.weight", spec expects "fc1.weight"`},
		// Issue cases: nothing the file claims is trusted before the checksum, and a verified
		// file with absurd sizes is refused before anything is allocated.
		{"renamed param, old checksum", mod(func(b []byte) []byte { b[16+hlen+8] = 'g'; return b }), ErrChecksum, "checksum mismatch"},
		{"huge out, old checksum", withHeader(good, `"out":2000000000`, false), ErrChecksum, "checksum mismatch"},
		{"huge out, valid checksum", withHeader(good, `"out":2000000000`, true), ErrSpec, "out = 2000000000 exceeds MaxFeatures"},
		{"huge input, valid checksum", withHeader(good, `"c":1099511627776`, true), ErrSpec, "more than MaxFeatures"},
		{"header length 4 GiB", mod(func(b []byte) []byte { copy(b[12:], []byte{0xff, 0xff, 0xff, 0xff}); return b }), nil, "header length 4294967295 exceeds the limit"},
		{"header length 15 MiB", mod(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 15<<20); return b }), ErrTruncated, "got"},
		{"tensor count 4e9", mod(func(b []byte) []byte { copy(b[16+hlen:], []byte{0xff, 0xff, 0xff, 0xff}); return b }), ErrParamMismatch, "more than the limit"},
		{"rank 4e9", mod(func(b []byte) []byte { copy(b[16+hlen+8+len("fc1.weight"):], []byte{0xff, 0xff, 0xff, 0xff}); return b }), ErrParamMismatch, "rank 4294967295"},
		{"dims overflow", mod(func(b []byte) []byte {
			o := 16 + hlen + 8 + len("fc1.weight") + 4
			copy(b[o:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
			return b
		}), ErrParamMismatch, "values for shape [4294967295 4294967295]"},
		{"value count 2^63", mod(func(b []byte) []byte { b[valuesAt-1] = 0x80; return b }), ErrParamMismatch, "values for shape [5 7]"},
		{"NaN weight, valid checksum", resum(mod(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[valuesAt+8:], math.Float64bits(math.NaN()))
			return b
		})), ErrParamMismatch, "fc1.weight[1] = NaN"},
		{"Inf weight, valid checksum", resum(mod(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[valuesAt:], math.Float64bits(math.Inf(-1)))
			return b
		})), ErrParamMismatch, "fc1.weight[0] = -Inf"},
	}
}

func TestLoadCorrupt(t *testing.T) {
	m := ckModels(t)[0]
	var buf bytes.Buffer
	dir := t.TempDir()
	for _, tc := range modelBadCases(t) {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".ncv")
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(path)
		if (tc.is != nil && !errors.Is(err, tc.is)) || err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want %v mentioning %q and the path", tc.name, err, tc.is, tc.msg)
		}
	}

	// A spec that disagrees with the stored parameters (here: a tampered spec) is caught before
	// any value is read.
	bad := m.Clone()
	bad.Spec.Layers[0].Out = 6
	buf.Reset()
	if err := Save(&buf, bad); err != nil {
		t.Fatal(err)
	}
	_, err := Load(&buf)
	if !errors.Is(err, ErrParamMismatch) || !strings.Contains(err.Error(), "fc1.weight has shape [5 7], spec expects [6 7]") {
		t.Errorf("shape mismatch: %v", err)
	}
}
