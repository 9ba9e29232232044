package nn

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// npzEntry is one hand-made .npy member of a test archive.
type npzEntry struct {
	key, header string // header: the dict literal, padded by npzBuild
	data        []byte
}

// npzBuild writes an archive from raw entries (deflated, like numpy.savez_compressed).
func npzBuild(t *testing.T, entries ...npzEntry) *bytes.Reader {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := z.Create(e.key + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		h := e.header + "\n"
		pre := []byte("\x93NUMPY\x01\x00")
		pre = binary.LittleEndian.AppendUint16(pre, uint16(len(h)))
		w.Write(pre)
		io.WriteString(w, h)
		w.Write(e.data)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(buf.Bytes())
}

func npzF8(v ...float64) []byte {
	var b []byte
	for _, f := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	return b
}

func TestNPYHeaderParse(t *testing.T) {
	for _, tc := range []struct {
		in    string
		descr string
		fort  bool
		shape []int
	}{
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }" + strings.Repeat(" ", 70), "<f8", false, []int{3, 4}},
		{"{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", "<i8", false, []int{5}},
		{"{'descr': '|u1', 'fortran_order': False, 'shape': (), }", "|u1", false, []int{}},
		{`{"shape":(2,3,3,3),"fortran_order":True,"descr":"<f4"}`, "<f4", true, []int{2, 3, 3, 3}},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4L)}", "<f8", false, []int{3, 4}},
	} {
		h, err := parseNPYHeader(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if h.Descr != tc.descr || h.Fortran != tc.fort || !reflect.DeepEqual(h.Shape, tc.shape) {
			t.Errorf("%q: got %+v", tc.in, h)
		}
	}
	for _, bad := range []string{
		"", "[]", "{'descr': '<f8', 'shape': (3,)}", "{'descr': '<f8', 'fortran_order': maybe, 'shape': (3,)}",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3, -4)}", "{'descr': <f8, 'fortran_order': False, 'shape': (3,)}",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'extra': 1}",
	} {
		if _, err := parseNPYHeader(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}

	// The header we write is what numpy writes: v1.0, data aligned to 64 bytes, newline last.
	var b bytes.Buffer
	if err := writeNPYHeader(&b, "<f8", []int{2, 3}); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	want := "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
	if !strings.HasPrefix(string(raw), want) || len(raw) != 128 || raw[127] != '\n' || strings.TrimRight(string(raw[len(want):127]), " ") != "" {
		t.Errorf("header bytes %q", raw)
	}
	h, err := readNPYHeader(bytes.NewReader(raw))
	if err != nil || h.Descr != "<f8" || !reflect.DeepEqual(h.Shape, []int{2, 3}) {
		t.Errorf("read back %+v, %v", h, err)
	}
}

func TestNPZRoundTrip(t *testing.T) {
	for _, m := range ckModels(t) {
		n, f := 5, m.Spec.In.Size()
		x := mat.NewDense(n, f, nil)
		for i := range n {
			for j := range f {
				x.Set(i, j, float64(i*f+j)/7)
			}
		}
		labels := []int{0, 2, 1, 1, 0}
		indices := []int{10, 3, 99999999999, 0, 7}
		var buf bytes.Buffer
		if err := ExportNPZ(&buf, m, x, labels, indices); err != nil {
			t.Fatal(err)
		}
		r := bytes.NewReader(buf.Bytes())
		got, gx, gy, gi, err := ImportNPZ(r, r.Size())
		if err != nil {
			t.Fatal(err)
		}
		ckSame(t, got, m)
		if !mat.Equal(gx, x) || !reflect.DeepEqual(gy, labels) || !reflect.DeepEqual(gi, indices) {
			t.Errorf("data changed: y %v indices %v", gy, gi)
		}

		// The archive holds exactly the documented keys, stored as .npy v1.0.
		z, err := zip.NewReader(r, r.Size())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, zf := range z.File {
			names = append(names, zf.Name)
		}
		want := []string{"spec.npy"}
		for _, p := range m.Params() {
			want = append(want, p.Name+".npy")
		}
		want = append(want, "x.npy", "y.npy", "indices.npy")
		if !reflect.DeepEqual(names, want) {
			t.Errorf("entries %v, want %v", names, want)
		}
		// The spec key decodes as the Python recipe does: bytes(f["spec"]).decode().
		a, _ := openNPZ(r, r.Size())
		_, _, _, js, err := a.read("spec", "u1")
		var spec Spec
		if err != nil || json.Unmarshal(js, &spec) != nil || !reflect.DeepEqual(spec, m.Spec) {
			t.Errorf("spec entry %q: %v", js, err)
		}
		h, v, _, _, err := a.read(m.Params()[0].Name, "f")
		if err != nil || !reflect.DeepEqual(h.Shape, m.Params()[0].Shape) || !reflect.DeepEqual(v, m.Params()[0].Value) {
			t.Errorf("weight entry: %+v %v", h, err)
		}
	}

	// Model only, and data only.
	m := ckModels(t)[0]
	var buf bytes.Buffer
	if err := ExportNPZ(&buf, m, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(buf.Bytes())
	if got, x, y, idx, err := ImportNPZ(r, r.Size()); err != nil || x != nil || y != nil || idx != nil {
		t.Errorf("model only: %v %v %v %v", x, y, idx, err)
	} else {
		ckSame(t, got, m)
	}
	buf.Reset()
	if err := ExportNPZ(&buf, nil, mat.NewDense(2, 7, nil), []int{1, 2}, nil); err != nil {
		t.Fatal(err)
	}
	r = bytes.NewReader(buf.Bytes())
	if _, _, _, _, err := ImportNPZ(r, r.Size()); err == nil || !strings.Contains(err.Error(), `no key "spec"`) {
		t.Errorf("data only via ImportNPZ: %v", err)
	}
}

// TestNPZFromPyTorch reads an archive shaped like `np.savez_compressed(path, **state_dict)`
// with float32 weights, int32 labels and an NCHW x, through ImportNPZWithSpec.
func TestNPZFromPyTorch(t *testing.T) {
	spec := Spec{In: Shape{1, 2, 2}, Layers: []LayerSpec{
		{Kind: KindConv2D, Out: 1, Bias: true}, {Kind: KindFlatten}, {Kind: KindDense, Out: 2},
	}}
	f4 := func(v ...float32) []byte {
		var b []byte
		for _, f := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
		return b
	}
	w := make([]float32, 9)
	for i := range w {
		w[i] = float32(i) / 4
	}
	r := npzBuild(t,
		npzEntry{"conv1.weight", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 3, 3), }", f4(w...)},
		npzEntry{"conv1.bias", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4(0.5)},
		npzEntry{"fc1.weight", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 4), }", npzF8(1, 2, 3, 4, 5, 6, 7, 8)},
		npzEntry{"num_batches_tracked", "{'descr': '<i8', 'fortran_order': False, 'shape': (), }", make([]byte, 8)},
		npzEntry{"x", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2, 2), }", npzF8(1, 2, 3, 4)},
		npzEntry{"y", "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", []byte{1, 0, 0, 0}},
	)
	m, x, y, idx, err := ImportNPZWithSpec(r, r.Size(), spec)
	if err != nil {
		t.Fatal(err)
	}
	conv, _ := m.Layer("conv1")
	if got := conv.Params()[0].Value; got[5] != 1.25 || conv.Params()[1].Value[0] != 0.5 {
		t.Errorf("conv weights %v", got)
	}
	if r, c := x.Dims(); r != 1 || c != 4 || x.At(0, 3) != 4 || !reflect.DeepEqual(y, []int{1}) || idx != nil {
		t.Errorf("data: %v %v %v", mat.Formatted(x), y, idx)
	}
}

func TestNPZErrors(t *testing.T) {
	spec := MLP(2, nil, 2, KindReLU) // one dense layer fc1: weight (2, 2)
	hdr := func(descr, shape string) string {
		return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	}
	w := npzEntry{"fc1.weight", hdr("<f8", "(2, 2)"), npzF8(1, 2, 3, 4)}
	for _, tc := range []struct {
		name    string
		entries []npzEntry
		msg     string
	}{
		{"missing weight", nil, `missing key "fc1.weight" (shape (2, 2))`},
		{"weight dtype", []npzEntry{{"fc1.weight", hdr("<i8", "(2, 2)"), make([]byte, 32)}}, `npz key "fc1.weight": dtype "<i8", want '<f8'`},
		{"big endian", []npzEntry{{"fc1.weight", hdr(">f8", "(2, 2)"), make([]byte, 32)}}, `npz key "fc1.weight": dtype ">f8"`},
		{"weight shape", []npzEntry{{"fc1.weight", hdr("<f8", "(4,)"), make([]byte, 32)}}, `npz key "fc1.weight": shape (4,), want (2, 2)`},
		{"transposed", []npzEntry{{"fc1.weight", hdr("<f8", "(2, 2)"), make([]byte, 32)}, {"x", hdr("<f8", "(3, 5)"), make([]byte, 120)}}, `npz key "x": shape (3, 5), want (N, 2)`},
		{"fortran", []npzEntry{{"fc1.weight", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", make([]byte, 32)}}, `npz key "fc1.weight": fortran_order`},
		{"truncated", []npzEntry{{"fc1.weight", hdr("<f8", "(2, 2)"), make([]byte, 31)}}, `npz key "fc1.weight": truncated`},
		{"label dtype", []npzEntry{w, {"y", hdr("<f8", "(1,)"), make([]byte, 8)}}, `npz key "y": dtype "<f8", want '<i8'`},
		{"label range", []npzEntry{w, {"y", hdr("<i8", "(1,)"), []byte{2, 0, 0, 0, 0, 0, 0, 0}}}, `npz key "y": y[0] = 2, want 0..1`},
		{"label count", []npzEntry{w, {"x", hdr("<f8", "(1, 2)"), make([]byte, 16)}, {"y", hdr("<i8", "(2,)"), make([]byte, 16)}}, `npz key "y": shape (2,), want (1,) to match "x"`},
		{"bad header", []npzEntry{{"fc1.weight", "{'descr': '<f8'}", nil}}, `npz key "fc1.weight": npy header`},
	} {
		r := npzBuild(t, tc.entries...)
		_, _, _, _, err := ImportNPZWithSpec(r, r.Size(), spec)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want it to contain %s", tc.name, err, tc.msg)
		}
	}
	r := bytes.NewReader([]byte("not a zip"))
	if _, _, _, _, err := ImportNPZ(r, r.Size()); err == nil || !strings.Contains(err.Error(), "not a zip") {
		t.Errorf("not a zip: %v", err)
	}
	var buf bytes.Buffer
	if err := ExportNPZ(&buf, trModel(t, spec, 1), mat.NewDense(2, 2, nil), []int{1}, nil); err == nil || !strings.Contains(err.Error(), "1 labels for 2 rows") {
		t.Errorf("export with mismatched labels: %v", err)
	}
}
