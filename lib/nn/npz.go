package nn

import (
	"archive/zip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// npy dtypes handled here.
const (
	dtF8 = "<f8"
	dtF4 = "<f4"
	dtI8 = "<i8"
	dtI4 = "<i4"
	dtU1 = "|u1"
)

// npyHeader is the parsed header of a .npy array.
type npyHeader struct {
	Descr   string
	Fortran bool
	Shape   []int
}

// count returns the number of elements of the shape, or ok = false when the product exceeds
// limit (it never overflows).
func (h npyHeader) count(limit int) (n int, ok bool) {
	n = 1
	for _, d := range h.Shape {
		if d < 0 || (d > 0 && n > limit/d) {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// Limits of the .npz reader, checked before anything is allocated.
const (
	// MaxNPZArrayBytes bounds the data of one array: 8 GiB, which holds CIFAR-10's training
	// set as float64 (50000 x 3072, 1.2 GB) several times over.
	MaxNPZArrayBytes = 8 << 30
	// maxNPYHeader bounds the header dict of a .npy array (numpy writes well under 1 KiB;
	// numpy.load refuses more than 10000 bytes by default).
	maxNPYHeader = 1 << 16
	// maxNPYDims is numpy's NPY_MAXDIMS.
	maxNPYDims = 64
	// maxDeflateRatio bounds the expansion of a deflated entry: DEFLATE cannot expand more
	// than 1032:1, so an entry declaring more is corrupt (a "zip bomb" header).
	maxDeflateRatio = 1032
)

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// writeNPYHeader writes the magic, version 1.0 and the header dict, padded with spaces and a
// final newline so that the data start at a multiple of 64 bytes, as numpy writes it.
func writeNPYHeader(w io.Writer, descr string, shape []int) error {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shapeString(shape))
	const pre = 10 // magic (6) + version (2) + header length (2)
	total := pre + len(dict) + 1
	if pad := (64 - total%64) % 64; pad > 0 {
		dict += strings.Repeat(" ", pad)
	}
	dict += "\n"
	if len(dict) > math.MaxUint16 {
		return fmt.Errorf("npy header of %d bytes is too long for format 1.0", len(dict))
	}
	var hdr [pre]byte
	copy(hdr[:], "\x93NUMPY")
	hdr[6], hdr[7] = 1, 0
	binary.LittleEndian.PutUint16(hdr[8:], uint16(len(dict)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := io.WriteString(w, dict)
	return err
}

// readNPYHeader reads the magic, version and header dict (versions 1.0, 2.0 and 3.0).
func readNPYHeader(r io.Reader) (npyHeader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return npyHeader{}, fmt.Errorf("reading npy magic: %w", err)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return npyHeader{}, fmt.Errorf("not a .npy array (magic %q)", pre[:6])
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, fmt.Errorf("reading npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, fmt.Errorf("reading npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return npyHeader{}, fmt.Errorf("unsupported npy format version %d.%d", pre[6], pre[7])
	}
	if hlen > maxNPYHeader {
		return npyHeader{}, fmt.Errorf("npy header length %d exceeds the limit %d", hlen, maxNPYHeader)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return npyHeader{}, fmt.Errorf("reading npy header: %w", err)
	}
	return parseNPYHeader(string(buf))
}

// parseNPYHeader parses the Python dict literal of a .npy header, e.g.
// "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }".
func parseNPYHeader(s string) (npyHeader, error) {
	var h npyHeader
	q := clip(s, 120) // for error messages
	p := &pyLit{s: s}
	if !p.eat('{') {
		return h, fmt.Errorf("npy header %q: want a dict", q)
	}
	seen := map[string]bool{}
	for {
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, fmt.Errorf("npy header %q: key: %w", q, err)
		}
		if !p.eat(':') {
			return h, fmt.Errorf("npy header %q: want ':' after %q", q, key)
		}
		switch key {
		case "descr":
			if h.Descr, err = p.str(); err != nil {
				return h, fmt.Errorf("npy header %q: descr: %w", q, err)
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.Fortran = true
			case p.word("False"):
				h.Fortran = false
			default:
				return h, fmt.Errorf("npy header %q: fortran_order: want True or False", q)
			}
		case "shape":
			if h.Shape, err = p.tuple(); err != nil {
				return h, fmt.Errorf("npy header %q: shape: %w", q, err)
			}
		default:
			return h, fmt.Errorf("npy header %q: unexpected key %q", q, key)
		}
		seen[key] = true
		if !p.eat(',') {
			if !p.eat('}') {
				return h, fmt.Errorf("npy header %q: want ',' or '}' after %q", q, key)
			}
			break
		}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("npy header %q: missing key %q", q, k)
		}
	}
	return h, nil
}

// pyLit is a tiny scanner for the Python literals of a .npy header.
type pyLit struct {
	s string
	i int
}

func (p *pyLit) skip() {
	for p.i < len(p.s) && strings.ContainsRune(" \t\r\n", rune(p.s[p.i])) {
		p.i++
	}
}

func (p *pyLit) eat(c byte) bool {
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyLit) word(w string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *pyLit) str() (string, error) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", errors.New("want a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *pyLit) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, errors.New("want a tuple")
	}
	shape := []int{}
	for {
		if p.eat(')') {
			return shape, nil
		}
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		// Python 2 era files may write long integers as 3L.
		d, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, fmt.Errorf("want a non-negative integer at %q", clip(p.s[p.i:], 40))
		}
		if len(shape) == maxNPYDims {
			return nil, fmt.Errorf("more than %d dimensions", maxNPYDims)
		}
		p.i = j
		p.eat('L')
		shape = append(shape, d)
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, errors.New("want ',' or ')'")
			}
			return shape, nil
		}
	}
}

// npzWriter adds .npy entries to a zip archive.
type npzWriter struct{ z *zip.Writer }

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// array writes the entry key.npy: a .npy header for descr and shape, then the data, written
// by body. Errors name the key.
func (nw npzWriter) array(key, descr string, shape []int, body func(w io.Writer) error) error {
	// Stored, not deflated, like numpy.savez: float data compress poorly and this is faster.
	w, err := nw.z.CreateHeader(&zip.FileHeader{Name: key + ".npy", Method: zip.Store})
	if err == nil {
		err = writeNPYHeader(w, descr, shape)
	}
	if err == nil {
		err = body(w)
	}
	if err != nil {
		return fmt.Errorf("npz key %q: %w", key, err)
	}
	return nil
}

func (nw npzWriter) float64s(key string, shape []int, v []float64) error {
	return nw.array(key, dtF8, shape, func(w io.Writer) error {
		buf := make([]byte, 0, 8*4096)
		for lo := 0; lo < len(v); lo += 4096 {
			buf = buf[:0]
			for _, f := range v[lo:min(lo+4096, len(v))] {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(f))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	})
}

func (nw npzWriter) ints(key string, v []int) error {
	return nw.array(key, dtI8, []int{len(v)}, func(w io.Writer) error {
		buf := make([]byte, 0, 8*len(v))
		for _, i := range v {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(int64(i)))
		}
		_, err := w.Write(buf)
		return err
	})
}

func (nw npzWriter) bytes(key string, b []byte) error {
	return nw.array(key, dtU1, []int{len(b)}, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// ExportNPZ writes the model's parameters and spec and the data (x, labels, indices) as a
// NumPy .npz archive, for cross-checks against PyTorch/NumPy. m, x, labels and indices may each
// be nil to leave their keys out. The archive holds .npy files (format 1.0, little-endian,
// C order, stored uncompressed like numpy.savez) with these keys (numpy.load strips ".npy"):
//
//	"<layer>.weight"  float64, PyTorch layout: Dense (out, in), Conv2D (outC, inC, 3, 3)
//	"<layer>.bias"    float64, (out,) for layers with a bias
//	"x"               float64, (N, C*H*W): one row per sample, features in (C, H, W) order,
//	                  so x.reshape(N, C, H, W) is the PyTorch NCHW batch
//	"y"               int64, (N,): labels
//	"indices"         int64, (N,): indices of the samples in the original training set
//	"spec"            uint8, the JSON of the model's Spec; in Python:
//	                  spec = json.loads(bytes(f["spec"]).decode())
//
// The parameter keys are the names of a PyTorch state_dict whose modules carry the layer names
// (fc1, conv1, ...), so `model.load_state_dict({k: torch.from_numpy(f[k]) for k in keys})`
// loads them. In the other direction, save a PyTorch model with
//
//	np.savez(path, **{k: v.double().numpy() for k, v in model.state_dict().items()},
//	         spec=np.frombuffer(json.dumps(spec).encode(), np.uint8))
//
// and read it with ImportNPZ, or without "spec" with ImportNPZWithSpec.
func ExportNPZ(w io.Writer, m *Model, x *mat.Dense, labels []int, indices []int) error {
	var n int
	if x != nil {
		n, _ = x.Dims()
		if labels != nil && len(labels) != n {
			return fmt.Errorf("nn: export npz: %d labels for %d rows of x", len(labels), n)
		}
		if indices != nil && len(indices) != n {
			return fmt.Errorf("nn: export npz: %d indices for %d rows of x", len(indices), n)
		}
		if m != nil {
			if _, c := x.Dims(); c != m.Spec.In.Size() {
				return fmt.Errorf("nn: export npz: x has %d columns, want the model's input size %d", c, m.Spec.In.Size())
			}
		}
	}
	z := zip.NewWriter(w)
	nw := npzWriter{z}
	if m != nil {
		spec, err := json.Marshal(m.Spec)
		if err != nil {
			return fmt.Errorf("nn: export npz: encoding spec: %w", err)
		}
		if err := nw.bytes("spec", spec); err != nil {
			return fmt.Errorf("nn: export npz: %w", err)
		}
		for _, p := range m.Params() {
			if err := nw.float64s(p.Name, p.Shape, p.Value); err != nil {
				return fmt.Errorf("nn: export npz: %w", err)
			}
		}
	}
	if x != nil {
		r, c := x.Dims()
		raw := x.RawMatrix()
		data := raw.Data
		if raw.Stride != c {
			data = mat.DenseCopyOf(x).RawMatrix().Data
		}
		if err := nw.float64s("x", []int{r, c}, data[:r*c]); err != nil {
			return fmt.Errorf("nn: export npz: %w", err)
		}
	}
	if labels != nil {
		if err := nw.ints("y", labels); err != nil {
			return fmt.Errorf("nn: export npz: %w", err)
		}
	}
	if indices != nil {
		if err := nw.ints("indices", indices); err != nil {
			return fmt.Errorf("nn: export npz: %w", err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("nn: export npz: %w", err)
	}
	return nil
}

// npzArchive indexes the .npy entries of an archive by key.
type npzArchive struct {
	files map[string]*zip.File
	size  int64 // of the whole archive
}

func openNPZ(r io.ReaderAt, size int64) (npzArchive, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return npzArchive{}, fmt.Errorf("not a zip archive: %w", err)
	}
	a := npzArchive{files: map[string]*zip.File{}, size: size}
	for _, f := range z.File {
		if key, ok := strings.CutSuffix(f.Name, ".npy"); ok {
			if _, dup := a.files[key]; dup {
				return npzArchive{}, fmt.Errorf("key %q appears twice", key)
			}
			a.files[key] = f
		}
	}
	return a, nil
}

func (a npzArchive) has(key string) bool { _, ok := a.files[key]; return ok }

func (a npzArchive) keys() []string {
	ks := make([]string, 0, len(a.files))
	for k := range a.files {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// sizeIs reports whether the product of shape is n, without overflowing.
func sizeIs(shape []int, n int) bool {
	c, ok := npyHeader{Shape: shape}.count(n)
	return ok && c == n
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// read decodes one array, converting to float64 (want "f") or int64 (want "i") or raw bytes
// (want "u1"). Shape errors are the caller's. Before anything is allocated, the sizes the zip
// entry declares are checked against the archive (a stored entry's compressed and uncompressed
// sizes agree, a deflated one expands at most 1032:1, neither exceeds the archive) and the
// header's shape against the entry (header plus data fill it exactly) and MaxNPZArrayBytes.
// The entry is then read to its end, so that the CRC-32 is verified: a flipped byte is an
// error, never a silently different weight. Float arrays must be finite.
func (a npzArchive) read(key, want string) (npyHeader, []float64, []int, []byte, error) {
	f := a.files[key]
	fail := func(format string, args ...any) (npyHeader, []float64, []int, []byte, error) {
		return npyHeader{}, nil, nil, nil, fmt.Errorf("npz key %q: "+format, append([]any{key}, args...)...)
	}
	usize, csize := f.UncompressedSize64, f.CompressedSize64
	switch {
	case csize > uint64(a.size):
		return fail("entry declares %d compressed bytes in an archive of %d bytes", csize, a.size)
	case f.Method == zip.Store && usize != csize:
		return fail("stored entry declares %d bytes but occupies %d", usize, csize)
	case f.Method == zip.Deflate && usize > maxDeflateRatio*csize+1024:
		return fail("entry declares %d bytes from %d compressed bytes, more than deflate can expand", usize, csize)
	case usize > MaxNPZArrayBytes+maxNPYHeader+12:
		return fail("entry declares %d bytes, more than the limit of %d data bytes per array (MaxNPZArrayBytes)", usize, int64(MaxNPZArrayBytes))
	}
	rc, err := f.Open()
	if err != nil {
		return fail("%v", err)
	}
	defer rc.Close()
	crc := crc32.NewIEEE()
	cr := &countingReader{r: io.TeeReader(rc, crc)}
	h, err := readNPYHeader(cr)
	if err != nil {
		return fail("%v", err)
	}
	if h.Fortran && len(h.Shape) > 1 {
		return fail("fortran_order arrays are not supported; save np.ascontiguousarray(a)")
	}
	switch {
	case want == "f" && (h.Descr == dtF8 || h.Descr == dtF4):
	case want == "i" && (h.Descr == dtI8 || h.Descr == dtI4):
	case want == "u1" && (h.Descr == dtU1 || h.Descr == "<u1"):
	default:
		var exp string
		switch want {
		case "f":
			exp = "'<f8' (float64) or '<f4'"
		case "i":
			exp = "'<i8' (int64) or '<i4'"
		default:
			exp = "'|u1' (uint8)"
		}
		return fail("dtype %q, want %s", h.Descr, exp)
	}
	size, _ := strconv.Atoi(h.Descr[2:])
	cnt, ok := h.count(MaxNPZArrayBytes / size)
	if !ok {
		return fail("shape %s holds more than the limit of %d data bytes per array (MaxNPZArrayBytes)", shapeString(h.Shape), int64(MaxNPZArrayBytes))
	}
	need := uint64(cnt) * uint64(size)
	if have := int64(usize) - cr.n; have < int64(need) {
		return fail("truncated: shape %s needs %d data bytes, the entry holds %d", shapeString(h.Shape), need, have)
	} else if have > int64(need) {
		return fail("%d bytes after the %d data bytes of shape %s", have-int64(need), need, shapeString(h.Shape))
	}
	data := make([]byte, need)
	if _, err := io.ReadFull(cr, data); err != nil {
		return fail("truncated data for shape %s: %v", shapeString(h.Shape), err)
	}
	// Read to the end: archive/zip checks the CRC-32 and the declared size only there. The CRC
	// is also checked here, because archive/zip skips the check when the stored CRC is 0.
	var one [1]byte
	if n, err := io.ReadFull(cr, one[:]); n > 0 {
		return fail("bytes after the data of shape %s", shapeString(h.Shape))
	} else if err != io.EOF {
		return fail("%v", err)
	}
	if got := crc.Sum32(); got != f.CRC32 {
		return fail("CRC-32 %08x, the archive says %08x (corrupt entry)", got, f.CRC32)
	}
	switch want {
	case "u1":
		return h, nil, nil, data, nil
	case "f":
		v := make([]float64, cnt)
		for i := range v {
			if size == 8 {
				v[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			} else {
				v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])))
			}
			if math.IsNaN(v[i]) || math.IsInf(v[i], 0) {
				return fail("element %d (flat index, shape %s) is %v, want finite values", i, shapeString(h.Shape), v[i])
			}
		}
		return h, v, nil, nil, nil
	default:
		v := make([]int, cnt)
		for i := range v {
			if size == 8 {
				v[i] = int(int64(binary.LittleEndian.Uint64(data[8*i:])))
			} else {
				v[i] = int(int32(binary.LittleEndian.Uint32(data[4*i:])))
			}
		}
		return h, nil, v, nil, nil
	}
}

// ImportNPZ reads an archive in the layout of ExportNPZ: it rebuilds the model from the "spec"
// key and loads every parameter (all are required, with exactly the PyTorch shapes), and
// returns the data keys "x", "y" and "indices" when present (nil otherwise). "x" may also be
// an (N, C, H, W) batch. Besides the dtypes ExportNPZ writes it accepts float32 ('<f4')
// parameters and data and int32 ('<i4') labels and indices, and compressed archives
// (numpy.savez_compressed); keys it does not know are ignored. Errors name the key and what
// was expected (dtype, shape, a missing parameter).
//
// Untrusted archives are safe to import: nothing is allocated from a size before it is checked
// against the archive (an entry's declared sizes against its compressed bytes and the file,
// a shape against the entry and MaxNPZArrayBytes, the spec against MaxParams and what the
// entries can hold); every entry is read to its end, so its CRC-32 is verified; shapes whose
// product overflows, duplicate keys, trailing bytes in an entry and NaN or infinite values
// (naming the key and the element) are errors.
func ImportNPZ(r io.ReaderAt, size int64) (*Model, *mat.Dense, []int, []int, error) {
	a, err := openNPZ(r, size)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("nn: import npz: %w", err)
	}
	if !a.has("spec") {
		return nil, nil, nil, nil, fmt.Errorf("nn: import npz: no key \"spec\" (keys: %s); use ImportNPZWithSpec", strings.Join(a.keys(), ", "))
	}
	_, _, _, js, err := a.read("spec", "u1")
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("nn: import npz: %w", err)
	}
	var spec Spec
	if err := json.Unmarshal(js, &spec); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("nn: import npz: key \"spec\": decoding JSON: %w", err)
	}
	return importNPZ(a, spec)
}

// ImportNPZWithSpec is ImportNPZ for archives without a "spec" key (e.g. written from a PyTorch
// state_dict): the architecture comes from spec, and a "spec" key, if any, is ignored.
func ImportNPZWithSpec(r io.ReaderAt, size int64, spec Spec) (*Model, *mat.Dense, []int, []int, error) {
	a, err := openNPZ(r, size)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("nn: import npz: %w", err)
	}
	return importNPZ(a, spec)
}

func importNPZ(a npzArchive, spec Spec) (*Model, *mat.Dense, []int, []int, error) {
	wrap := func(err error) (*Model, *mat.Dense, []int, []int, error) {
		return nil, nil, nil, nil, fmt.Errorf("nn: import npz: %w", err)
	}
	// The parameters must fit in the archive's entries (4 bytes each at least, as float32),
	// so a spec claiming more is refused before its model is allocated. The slack of 1<<20
	// parameters (8 MiB) lets a small spec get the more useful "missing key" error.
	var room uint64
	for _, f := range a.files {
		room += min(f.UncompressedSize64, maxDeflateRatio*f.CompressedSize64+1024)
	}
	m, err := buildLimit(spec, int(min(room/4+1<<20, MaxParams)), "what the archive can hold")
	if err != nil {
		return wrap(err)
	}
	for _, p := range m.Params() {
		if !a.has(p.Name) {
			return wrap(fmt.Errorf("missing key %q (shape %s) required by the spec (keys: %s)", p.Name, shapeString(p.Shape), strings.Join(a.keys(), ", ")))
		}
		h, v, _, _, err := a.read(p.Name, "f")
		if err != nil {
			return wrap(err)
		}
		if !slices.Equal(h.Shape, p.Shape) {
			return wrap(fmt.Errorf("npz key %q: shape %s, want %s", p.Name, shapeString(h.Shape), shapeString(p.Shape)))
		}
		copy(p.Value, v)
	}
	var x *mat.Dense
	n := -1
	if a.has("x") {
		h, v, _, _, err := a.read("x", "f")
		if err != nil {
			return wrap(err)
		}
		in := spec.In.Size()
		switch {
		case len(h.Shape) == 2 && h.Shape[1] == in:
		case len(h.Shape) == 4 && sizeIs(h.Shape[1:], in):
			// An NCHW image batch: C order makes it the same bytes as (N, C*H*W).
		default:
			return wrap(fmt.Errorf("npz key \"x\": shape %s, want (N, %d) or (N, %d, %d, %d)", shapeString(h.Shape), in, spec.In.C, spec.In.H, spec.In.W))
		}
		n = h.Shape[0]
		if n > 0 {
			x = mat.NewDense(n, in, v)
		}
	}
	intKey := func(key string) ([]int, error) {
		if !a.has(key) {
			return nil, nil
		}
		h, _, v, _, err := a.read(key, "i")
		if err != nil {
			return nil, err
		}
		if len(h.Shape) != 1 {
			return nil, fmt.Errorf("npz key %q: shape %s, want 1-D", key, shapeString(h.Shape))
		}
		if n >= 0 && h.Shape[0] != n {
			return nil, fmt.Errorf("npz key %q: shape %s, want (%d,) to match \"x\"", key, shapeString(h.Shape), n)
		}
		return v, nil
	}
	y, err := intKey("y")
	if err != nil {
		return wrap(err)
	}
	idx, err := intKey("indices")
	if err != nil {
		return wrap(err)
	}
	if y != nil {
		classes := m.Classes()
		for i, l := range y {
			if l < 0 || l >= classes {
				return wrap(fmt.Errorf("npz key \"y\": y[%d] = %d, want 0..%d", i, l, classes-1))
			}
		}
	}
	return m, x, y, idx, nil
}

// NPZWriter writes named float64 arrays into a NumPy .npz archive, in the same format as
// ExportNPZ (uncompressed .npy 1.0, little-endian, C order). It serves other packages'
// exports (curvature diagonals, spectra) so that every .npz this module writes reads alike.
type NPZWriter struct {
	nw npzWriter
}

// NewNPZWriter starts an archive on w; call Close to finish it.
func NewNPZWriter(w io.Writer) *NPZWriter { return &NPZWriter{nw: npzWriter{z: zip.NewWriter(w)}} }

// Float64s adds array key with the given shape (the product of shape must equal len(v)).
func (w *NPZWriter) Float64s(key string, shape []int, v []float64) error {
	n := 1
	for _, s := range shape {
		n *= s
	}
	if n != len(v) {
		return fmt.Errorf("nn: npz key %q: shape %v holds %d values, got %d", key, shape, n, len(v))
	}
	return w.nw.float64s(key, shape, v)
}

// Ints adds a 1-D int64 array.
func (w *NPZWriter) Ints(key string, v []int) error { return w.nw.ints(key, v) }

// Close finishes the archive (it does not close the underlying writer).
func (w *NPZWriter) Close() error { return w.nw.z.Close() }
