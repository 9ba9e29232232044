package nn

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/noisecurv/noisecurv/lib/atomicfile"
)

const (
	modelMagic   = "NCVMODEL"
	modelVersion = 1
	// maxHeaderLen bounds the JSON header (a spec and a few metadata strings, a few KiB).
	maxHeaderLen = 16 << 20
)

// Errors wrapped by Load and LoadFile, for errors.Is.
var (
	ErrBadMagic           = errors.New("bad magic (not a noisecurv model file)")
	ErrUnsupportedVersion = errors.New("unsupported model file version")
	ErrTruncated          = errors.New("truncated model file")
	ErrChecksum           = errors.New("checksum mismatch (model file corrupted)")
	ErrParamMismatch      = errors.New("parameters do not match the spec")
)

type modelHeader struct {
	Spec Spec              `json:"spec"`
	Meta map[string]string `json:"meta,omitempty"`
}

// Save writes m in the versioned binary model format (see WriteModel) without metadata.
func Save(w io.Writer, m *Model) error { return WriteModel(w, m, nil) }

// WriteModel writes m and free-form metadata (e.g. the training configuration, data set and
// epoch) in the versioned binary model format. Version 1 (integers little-endian):
//
//	magic    8 bytes  "NCVMODEL"
//	version  uint32   1
//	hlen     uint32   length of the JSON header
//	header   hlen bytes  {"spec": Spec, "meta": {string: string}}
//	nparams  uint32   number of parameter tensors, in Model.Params() order
//	per parameter:
//	  nlen   uint32, name (nlen bytes)
//	  rank   uint32, dims (rank x uint32)
//	  count  uint64   number of values (product of dims)
//	  values count x float64 (IEEE 754 bits, row-major as in Param.Value)
//	trailer  32 bytes SHA-256 of every preceding byte
//
// ReadModel rebuilds the architecture from the spec, checks every name and shape against it
// and verifies the checksum.
func WriteModel(w io.Writer, m *Model, meta map[string]string) error {
	if m == nil {
		return errors.New("nn: save model: model is nil")
	}
	hdr, err := json.Marshal(modelHeader{Spec: m.Spec, Meta: meta})
	if err != nil {
		return fmt.Errorf("nn: save model: encoding header: %w", err)
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 1<<16)
	var b8 [8]byte
	u32 := func(v int) {
		binary.LittleEndian.PutUint32(b8[:4], uint32(v))
		bw.Write(b8[:4])
	}
	bw.WriteString(modelMagic)
	u32(modelVersion)
	u32(len(hdr))
	bw.Write(hdr)
	params := m.Params()
	u32(len(params))
	for _, p := range params {
		u32(len(p.Name))
		bw.WriteString(p.Name)
		u32(len(p.Shape))
		for _, d := range p.Shape {
			u32(d)
		}
		binary.LittleEndian.PutUint64(b8[:], uint64(len(p.Value)))
		bw.Write(b8[:])
		for _, v := range p.Value {
			binary.LittleEndian.PutUint64(b8[:], math.Float64bits(v))
			bw.Write(b8[:])
		}
	}
	// bufio.Writer keeps the first error; Flush reports it.
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("nn: save model: %w", err)
	}
	if _, err := w.Write(h.Sum(nil)); err != nil {
		return fmt.Errorf("nn: save model: writing checksum: %w", err)
	}
	return nil
}

// Load reads a model written by Save or WriteModel.
func Load(r io.Reader) (*Model, error) {
	m, _, err := ReadModel(r)
	return m, err
}

// ReadModel reads a model and its metadata. It reads exactly the bytes of one model, so several
// models may follow each other in a stream. The SHA-256 is verified before the spec in the
// header is decoded or any size in the file is trusted, memory grows only with the bytes
// actually read, and the spec must pass Build's limits (MaxParams, MaxFeatures), so a corrupt
// or hostile file is an error, never an out-of-memory crash. NaN or infinite weights are
// refused, naming the parameter and the index. Errors wrap ErrBadMagic,
// ErrUnsupportedVersion, ErrTruncated, ErrChecksum, ErrSpec or ErrParamMismatch.
func ReadModel(r io.Reader) (*Model, map[string]string, error) {
	m, meta, err := readModel(r)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: load model: %w", err)
	}
	return m, meta, nil
}

// hashReader hashes everything read through it.
type hashReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}

// Limits of the model-file reader, besides those of Build (MaxParams, MaxFeatures).
const (
	maxParamTensors = 2 * MaxLayers // a weight and a bias per layer
	maxParamRank    = 8
	maxParamName    = 4096
)

// fileParam is one parameter tensor as the file stores it, before it is matched to the spec.
type fileParam struct {
	name   string
	shape  []int
	values []float64
}

// readModel reads one model in two passes over memory: first the whole record (header bytes,
// parameter names, shapes and values) is read and its SHA-256 verified, and only then is the
// header decoded, the spec built (with Build's limits) and every parameter matched to it. So a
// corrupt file fails the checksum before any of its sizes is trusted, and every buffer grows
// with the bytes actually present, never with a length the file merely claims.
func readModel(r io.Reader) (*Model, map[string]string, error) {
	// No read-ahead buffer: every read asks for exactly the bytes of the next field, so a
	// stream positioned after the model can be read on.
	hr := &hashReader{r: r, h: sha256.New()}
	var b8 [8]byte
	readFull := func(buf []byte, what string) error {
		if _, err := io.ReadFull(hr, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: reading %s: %v", ErrTruncated, what, err)
			}
			return fmt.Errorf("reading %s: %w", what, err)
		}
		return nil
	}
	// readN reads n bytes into a buffer that grows as they arrive.
	readN := func(n int, what string) ([]byte, error) {
		var buf bytes.Buffer
		if got, err := io.CopyN(&buf, hr, int64(n)); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: reading %s: got %d of %d bytes", ErrTruncated, what, got, n)
			}
			return nil, fmt.Errorf("reading %s: %w", what, err)
		}
		return buf.Bytes(), nil
	}
	u32 := func(what string) (int, error) {
		if err := readFull(b8[:4], what); err != nil {
			return 0, err
		}
		return int(binary.LittleEndian.Uint32(b8[:4])), nil
	}

	if err := readFull(b8[:], "magic"); err != nil {
		return nil, nil, err
	}
	if string(b8[:]) != modelMagic {
		return nil, nil, fmt.Errorf("%w: got %q, want %q", ErrBadMagic, b8[:], modelMagic)
	}
	ver, err := u32("version")
	if err != nil {
		return nil, nil, err
	}
	if ver != modelVersion {
		return nil, nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrUnsupportedVersion, ver, modelVersion)
	}
	hlen, err := u32("header length")
	if err != nil {
		return nil, nil, err
	}
	if hlen > maxHeaderLen {
		return nil, nil, fmt.Errorf("header length %d exceeds the limit %d (corrupt file?)", hlen, maxHeaderLen)
	}
	hdrBytes, err := readN(hlen, "header")
	if err != nil {
		return nil, nil, err
	}
	np, err := u32("parameter count")
	if err != nil {
		return nil, nil, err
	}
	if np > maxParamTensors {
		return nil, nil, fmt.Errorf("%w: %d parameter tensors, more than the limit %d (corrupt file?)", ErrParamMismatch, np, maxParamTensors)
	}
	var fps []fileParam
	total := 0
	chunk := make([]byte, 8*4096)
	for i := range np {
		nlen, err := u32(fmt.Sprintf("name length of parameter %d", i))
		if err != nil {
			return nil, nil, err
		}
		if nlen > maxParamName {
			return nil, nil, fmt.Errorf("%w: parameter %d name length %d exceeds the limit %d", ErrParamMismatch, i, nlen, maxParamName)
		}
		name, err := readN(nlen, fmt.Sprintf("name of parameter %d", i))
		if err != nil {
			return nil, nil, err
		}
		fp := fileParam{name: string(name)}
		rank, err := u32(fp.name + " rank")
		if err != nil {
			return nil, nil, err
		}
		if rank > maxParamRank {
			return nil, nil, fmt.Errorf("%w: %s has rank %d, more than %d", ErrParamMismatch, fp.name, rank, maxParamRank)
		}
		fp.shape = make([]int, rank)
		for k := range fp.shape {
			if fp.shape[k], err = u32(fp.name + " shape"); err != nil {
				return nil, nil, err
			}
		}
		if err := readFull(b8[:], fp.name+" value count"); err != nil {
			return nil, nil, err
		}
		cnt := binary.LittleEndian.Uint64(b8[:])
		if want, ok := (npyHeader{Shape: fp.shape}).count(MaxParams); !ok || cnt != uint64(want) {
			return nil, nil, fmt.Errorf("%w: %s has %d values for shape %v", ErrParamMismatch, fp.name, cnt, fp.shape)
		}
		if total += int(cnt); total > MaxParams {
			return nil, nil, fmt.Errorf("%w: more than MaxParams = %d values", ErrParamMismatch, MaxParams)
		}
		// Values are read in 32 KiB chunks and appended: memory follows the bytes present.
		for left := int(cnt); left > 0; {
			k := min(left, len(chunk)/8)
			if err := readFull(chunk[:8*k], fp.name+" values"); err != nil {
				return nil, nil, err
			}
			for j := range k {
				fp.values = append(fp.values, math.Float64frombits(binary.LittleEndian.Uint64(chunk[8*j:])))
			}
			left -= k
		}
		fps = append(fps, fp)
	}
	want := hr.h.Sum(nil)
	var got [sha256.Size]byte
	if _, err := io.ReadFull(r, got[:]); err != nil {
		return nil, nil, fmt.Errorf("%w: reading checksum: %v", ErrTruncated, err)
	}
	if !bytes.Equal(got[:], want) {
		return nil, nil, fmt.Errorf("%w: stored SHA-256 %x, computed %x", ErrChecksum, got[:8], want[:8])
	}

	// The bytes are what the writer wrote; now decode and check them against the spec.
	var hdr modelHeader
	if err := json.Unmarshal(hdrBytes, &hdr); err != nil {
		return nil, nil, fmt.Errorf("decoding JSON header: %w", err)
	}
	m, err := build(hdr.Spec)
	if err != nil {
		return nil, nil, fmt.Errorf("spec in header: %w", err)
	}
	params := m.Params()
	if len(fps) != len(params) {
		return nil, nil, fmt.Errorf("%w: file has %d parameter tensors, spec has %d", ErrParamMismatch, len(fps), len(params))
	}
	for i, p := range params {
		fp := fps[i]
		if fp.name != p.Name {
			return nil, nil, fmt.Errorf("%w: parameter %d is %q, spec expects %q", ErrParamMismatch, i, fp.name, p.Name)
		}
		if !slices.Equal(fp.shape, p.Shape) {
			return nil, nil, fmt.Errorf("%w: %s has shape %v, spec expects %v", ErrParamMismatch, p.Name, fp.shape, p.Shape)
		}
		for k, v := range fp.values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("%w: %s[%d] = %v, want finite weights", ErrParamMismatch, p.Name, k, v)
			}
		}
		copy(p.Value, fp.values)
	}
	return m, hdr.Meta, nil
}

// SaveFile writes m to path atomically (see SaveFileMeta).
func SaveFile(path string, m *Model) error { return SaveFileMeta(path, m, nil) }

// SaveFileMeta writes m and meta to path atomically: it writes a temporary file in the same
// directory, syncs it to disk and renames it over path, so readers see either the old file or
// the complete new one, never a partial write.
func SaveFileMeta(path string, m *Model, meta map[string]string) error {
	// A model goes into an existing folder: a missing one is a mistyped path, not created.
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("nn: save model file %q: %w", path, err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return WriteModel(w, m, meta) }); err != nil {
		return fmt.Errorf("nn: save model file %q: %w", path, err)
	}
	return nil
}

// LoadFile reads a model file written by SaveFile.
func LoadFile(path string) (*Model, error) {
	m, _, err := LoadFileMeta(path)
	return m, err
}

// LoadFileMeta reads a model file and its metadata. Besides the checks of ReadModel it rejects
// trailing bytes after the checksum.
func LoadFileMeta(path string) (*Model, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: load model file: %w", err)
	}
	defer f.Close()
	m, meta, err := readModel(f)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: load model file %q: %w", path, err)
	}
	var extra [1]byte
	if n, _ := io.ReadFull(f, extra[:]); n > 0 {
		return nil, nil, fmt.Errorf("nn: load model file %q: %w: unexpected bytes after the checksum", path, ErrChecksum)
	}
	return m, meta, nil
}
