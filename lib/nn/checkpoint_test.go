package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// ckModels are small models covering dense (with and without bias), conv and the activations.
func ckModels(t *testing.T) []*Model {
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

func TestLoadCorrupt(t *testing.T) {
	m := ckModels(t)[0]
	var buf bytes.Buffer
	if err := Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	hlen := int(binary.LittleEndian.Uint32(good[12:16]))
	valuesAt := 16 + hlen + 4 + 4 + len("fc1.weight") + 4 + 8 + 8 // first value of fc1.weight
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		is   error
		msg  string
	}{
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
		{"renamed param", mod(func(b []byte) []byte { b[16+hlen+8] = 'g'; return b }), ErrParamMismatch, `"gc1.weight", spec expects "fc1.weight"`},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".ncv")
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(path)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), path) {
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
