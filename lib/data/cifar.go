package data

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// CIFAR-10 binary format (https://www.cs.toronto.edu/~kriz/cifar.html): each record is one
// label byte (0..9) followed by 3072 pixel bytes, the 1024 red values of the 32x32 image in
// row-major order, then the 1024 green, then the 1024 blue: already channel-major (NCHW).
const (
	cifarSide     = 32
	cifarChannels = 3
	cifarPixels   = cifarChannels * cifarSide * cifarSide // 3072
	cifarRecord   = 1 + cifarPixels                       // 3073
	cifarClasses  = 10
)

// CIFARBatch is the content of one CIFAR-10 binary batch: N labels and N x 3072 pixel bytes in
// (channel, row, col) order, one image after another.
type CIFARBatch struct {
	N      int
	Labels []uint8
	Pix    []byte
}

// ReadCIFAR10 reads a CIFAR-10 binary batch (data_batch_N.bin, test_batch.bin) from r: records
// of 1 label byte + 3072 pixel bytes until end of stream. It requires at least one record, no
// partial record at the end and every label in 0..9.
func ReadCIFAR10(r io.Reader) (*CIFARBatch, error) {
	b, err := readCIFAR(r, 0)
	if err != nil {
		return nil, fmt.Errorf("cifar10 batch: %w", err)
	}
	return b, nil
}

// readCIFAR reads records until EOF; want > 0 preallocates and requires exactly want records.
func readCIFAR(r io.Reader, want int) (*CIFARBatch, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	b := &CIFARBatch{}
	if want > 0 {
		b.Labels = make([]uint8, 0, want)
		b.Pix = make([]byte, 0, want*cifarPixels)
	}
	var rec [cifarRecord]byte
	for {
		n, err := io.ReadFull(br, rec[:])
		if err == io.EOF {
			break
		}
		if err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("record %d truncated: expected %d bytes (1 label + %d pixels), got %d: %w",
				b.N, cifarRecord, cifarPixels, n, err)
		}
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", b.N, err)
		}
		if rec[0] >= cifarClasses {
			return nil, fmt.Errorf("record %d: label %d, expected 0..%d: %w", b.N, rec[0], cifarClasses-1, errLabelRange)
		}
		if want > 0 && b.N == want {
			return nil, fmt.Errorf("more than the expected %d records", want)
		}
		b.Labels = append(b.Labels, rec[0])
		b.Pix = append(b.Pix, rec[1:]...)
		b.N++
	}
	if b.N == 0 {
		return nil, fmt.Errorf("no records: expected a multiple of %d bytes, got 0", cifarRecord)
	}
	if want > 0 && b.N != want {
		return nil, fmt.Errorf("expected %d records (%d bytes), got %d", want, want*cifarRecord, b.N)
	}
	return b, nil
}

// cifarMembers are the files taken from cifar-10-binary.tar.gz (under cifar-10-batches-bin/).
var cifarTrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}

const (
	cifarTestFile   = "test_batch.bin"
	cifarMetaFile   = "batches.meta.txt"
	cifarArchiveDir = "cifar-10-batches-bin"
)

func cifarBatchFiles() []string { return append(append([]string{}, cifarTrainFiles...), cifarTestFile) }

// extractCIFAR reads a cifar-10-binary.tar.gz stream and writes the batch files (and
// batches.meta.txt when present) into dir, each atomically, returning name -> (SHA-256, size).
// Only the known member names under cifar-10-batches-bin/ are extracted (no path from the
// archive is used), so a hostile archive cannot write elsewhere. Each batch must be a whole
// number of records, and exactly recPerBatch records when recPerBatch > 0.
func extractCIFAR(r io.Reader, dir string, recPerBatch int) (map[string]manifestFile, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("cifar10 archive: gzip header: %w", err)
	}
	wanted := map[string]bool{cifarMetaFile: true}
	for _, f := range cifarBatchFiles() {
		wanted[f] = true
	}
	out := map[string]manifestFile{}
	tr := tar.NewReader(gzErrReader{zr})
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cifar10 archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Base(h.Name)
		if path.Dir(path.Clean(h.Name)) != cifarArchiveDir || !wanted[name] {
			continue
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("cifar10 archive: %s appears twice", h.Name)
		}
		hs := sha256.New()
		n, err := writeAtomic(filepath.Join(dir, name), io.TeeReader(tr, hs))
		if err != nil {
			return nil, fmt.Errorf("cifar10 archive: extracting %s: %w", h.Name, err)
		}
		if name != cifarMetaFile {
			if n == 0 || n%cifarRecord != 0 {
				os.Remove(filepath.Join(dir, name))
				return nil, fmt.Errorf("cifar10 archive: %s has %d bytes, expected a positive multiple of %d", h.Name, n, cifarRecord)
			}
			if recPerBatch > 0 && n != int64(recPerBatch*cifarRecord) {
				os.Remove(filepath.Join(dir, name))
				return nil, fmt.Errorf("cifar10 archive: %s has %d bytes, expected %d (%d records)", h.Name, n, recPerBatch*cifarRecord, recPerBatch)
			}
		}
		out[name] = manifestFile{SHA256: hex.EncodeToString(hs.Sum(nil)), Bytes: n}
	}
	for _, f := range cifarBatchFiles() {
		if _, ok := out[f]; !ok {
			return nil, fmt.Errorf("cifar10 archive: no member %s/%s", cifarArchiveDir, f)
		}
	}
	return out, nil
}
