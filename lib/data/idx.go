package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX magic numbers (big-endian uint32): two zero bytes, the element type (0x08 = unsigned
// byte) and the number of dimensions.
const (
	idxImagesMagic = 0x00000803 // ubyte, 3 dimensions: N x rows x cols
	idxLabelsMagic = 0x00000801 // ubyte, 1 dimension: N
)

// maxIDXBytes bounds N*rows*cols of an IDX header so that products of the uint32 dimensions
// cannot overflow. It is far above any real file (MNIST train is 47 040 000 bytes); the payload
// buffer grows only as bytes actually arrive, so a lying header cannot force a huge allocation.
const maxIDXBytes = 1 << 34

// IDXImages is the content of an IDX image file (magic 0x00000803): N images of Rows x Cols
// unsigned bytes, stored row-major one image after another in Pix (len N*Rows*Cols).
type IDXImages struct {
	N, Rows, Cols int
	Pix           []byte
}

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = [2]byte{0x1f, 0x8b}

// gzErrReader marks every non-EOF error of a gzip stream, so a truncated or corrupt .gz says so
// instead of looking like a short IDX payload.
type gzErrReader struct{ zr *gzip.Reader }

func (g gzErrReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("gzip stream truncated or corrupt: %w", err)
	}
	return n, err
}

// maybeGunzip returns a reader of the decompressed bytes when r starts with the gzip magic
// 1f 8b, and of r's own bytes otherwise. IDX files start with 00 00, so the two cannot be
// confused.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<16)
	}
	head, err := br.Peek(2)
	if err != nil && len(head) < 2 {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return br, nil // too short for either; the caller reports the short header
		}
		return nil, err
	}
	if head[0] != gzipMagic[0] || head[1] != gzipMagic[1] {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	return gzErrReader{zr}, nil
}

// readIDXHeader reads the magic and the dimensions, checking the magic against want and that
// every dimension is positive.
func readIDXHeader(r io.Reader, want uint32, ndim int) ([]int, error) {
	buf := make([]byte, 4+4*ndim)
	// The magic first, so a file of the other kind is named as such even when it is short.
	if n, err := io.ReadFull(r, buf[:4]); err != nil {
		return nil, fmt.Errorf("header: expected %d bytes, got %d: %w", len(buf), n, err)
	}
	magic := binary.BigEndian.Uint32(buf)
	if magic != want {
		return nil, fmt.Errorf("magic number 0x%08x, expected 0x%08x", magic, want)
	}
	if n, err := io.ReadFull(r, buf[4:]); err != nil {
		return nil, fmt.Errorf("header: expected %d bytes, got %d: %w", len(buf), 4+n, err)
	}
	dims := make([]int, ndim)
	for i := range dims {
		d := binary.BigEndian.Uint32(buf[4+4*i:])
		if d == 0 {
			return nil, fmt.Errorf("dimension %d is 0, expected > 0", i)
		}
		dims[i] = int(d)
	}
	return dims, nil
}

// readPayload reads exactly n bytes and then requires end of stream. The buffer starts small and
// doubles as data arrives, so memory follows the real length rather than the header's promise.
func readPayload(r io.Reader, n int64, what string) ([]byte, error) {
	c := n
	if c > 1<<20 {
		c = 1 << 20
	}
	buf := make([]byte, 0, c)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			nc := int64(4 * cap(buf)) // 1, 4, 16, 64 MiB: few copies for MNIST's 47 MB
			if nc > n {
				nc = n
			}
			nb := make([]byte, len(buf), nc)
			copy(nb, buf)
			buf = nb
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			if int64(len(buf)) < n {
				return nil, fmt.Errorf("%s: header promises %d bytes, got %d: %w", what, n, len(buf), io.ErrUnexpectedEOF)
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: header promises %d bytes, read %d before error: %w", what, n, len(buf), err)
		}
	}
	// Reading to the end also makes gzip check its CRC-32 and length trailer.
	var one [1]byte
	for {
		k, err := r.Read(one[:])
		if k > 0 {
			return nil, fmt.Errorf("%s: trailing data after the %d bytes the header promises", what, n)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: after the payload: %w", what, err)
		}
	}
}

// ReadIDXImages reads an IDX image file (magic 0x00000803: N x rows x cols unsigned bytes) from
// r, raw or gzip-compressed (detected by the gzip magic 1f 8b). It checks the magic, that every
// dimension is positive, that the payload has exactly N*rows*cols bytes and that the stream ends
// there (for .gz, including the gzip CRC).
func ReadIDXImages(r io.Reader) (*IDXImages, error) {
	img, err := readIDXImages(r)
	if err != nil {
		return nil, fmt.Errorf("idx images: %w", err)
	}
	return img, nil
}

func readIDXImages(r io.Reader) (*IDXImages, error) {
	r, err := maybeGunzip(r)
	if err != nil {
		return nil, err
	}
	dims, err := readIDXHeader(r, idxImagesMagic, 3)
	if err != nil {
		return nil, err
	}
	n, rows, cols := int64(dims[0]), int64(dims[1]), int64(dims[2])
	// Each dimension is below 2^32, so rows*cols fits in uint64; divide rather than multiply by n.
	if rc := uint64(rows) * uint64(cols); rc > maxIDXBytes || uint64(n) > maxIDXBytes/rc {
		return nil, fmt.Errorf("dimensions %d x %d x %d exceed %d bytes", n, rows, cols, int64(maxIDXBytes))
	}
	pix, err := readPayload(r, n*rows*cols, fmt.Sprintf("pixels (%d x %d x %d)", n, rows, cols))
	if err != nil {
		return nil, err
	}
	return &IDXImages{N: int(n), Rows: int(rows), Cols: int(cols), Pix: pix}, nil
}

// ReadIDXLabels reads an IDX label file (magic 0x00000801: N unsigned bytes) from r, raw or
// gzip-compressed, and checks that every label lies in [0, classes).
func ReadIDXLabels(r io.Reader, classes int) ([]uint8, error) {
	lab, err := readIDXLabels(r, classes)
	if err != nil {
		return nil, fmt.Errorf("idx labels: %w", err)
	}
	return lab, nil
}

func readIDXLabels(r io.Reader, classes int) ([]uint8, error) {
	if classes < 1 || classes > 256 {
		return nil, fmt.Errorf("classes = %d, expected 1..256", classes)
	}
	r, err := maybeGunzip(r)
	if err != nil {
		return nil, err
	}
	dims, err := readIDXHeader(r, idxLabelsMagic, 1)
	if err != nil {
		return nil, err
	}
	lab, err := readPayload(r, int64(dims[0]), fmt.Sprintf("labels (%d)", dims[0]))
	if err != nil {
		return nil, err
	}
	if err := checkLabels(lab, classes); err != nil {
		return nil, err
	}
	return lab, nil
}

// errLabelRange is wrapped by every out-of-range label error.
var errLabelRange = errors.New("label out of range")

func checkLabels(lab []uint8, classes int) error {
	for i, l := range lab {
		if int(l) >= classes {
			return fmt.Errorf("label %d at index %d, expected 0..%d: %w", l, i, classes-1, errLabelRange)
		}
	}
	return nil
}
