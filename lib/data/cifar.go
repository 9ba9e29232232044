package data

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"path"
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

func cifarFiles(train bool) []string {
	if train {
		return cifarTrainFiles
	}
	return []string{cifarTestFile}
}

// cifarMaxBatch bounds the records of one batch member (the real batches hold 10000), so a
// member header claiming gigabytes is refused before anything is read or allocated.
const cifarMaxBatch = 10000

// readCIFARArchive parses a cifar-10-binary.tar.gz stream in memory and returns the batches
// named in members (base names under cifar-10-batches-bin/). Only those names under that
// folder are read; every other member is skipped. Each must appear exactly once, as a regular
// file of a positive whole number of records, at most cifarMaxBatch, and exactly recPerBatch
// when recPerBatch > 0; the sizes are checked from the member's header before it is read.
// Nothing is written to disk. It stops after the tar end marker: the caller hashing the
// stream reads the rest itself.
func readCIFARArchive(r io.Reader, members []string, recPerBatch int) (map[string]*CIFARBatch, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("cifar10 archive: gzip header: %w", err)
	}
	wanted := map[string]bool{}
	for _, m := range members {
		wanted[m] = true
	}
	out := map[string]*CIFARBatch{}
	tr := tar.NewReader(gzErrReader{zr})
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cifar10 archive: %w", err)
		}
		name := path.Base(h.Name)
		if path.Dir(path.Clean(h.Name)) != cifarArchiveDir || !wanted[name] {
			continue
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("cifar10 archive: %s is not a regular file (type %q)", h.Name, h.Typeflag)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("cifar10 archive: %s appears twice", h.Name)
		}
		switch {
		case h.Size <= 0 || h.Size%cifarRecord != 0:
			return nil, fmt.Errorf("cifar10 archive: %s has %d bytes, expected a positive multiple of %d", h.Name, h.Size, cifarRecord)
		case recPerBatch > 0 && h.Size != int64(recPerBatch*cifarRecord):
			return nil, fmt.Errorf("cifar10 archive: %s has %d bytes, expected %d (%d records)", h.Name, h.Size, recPerBatch*cifarRecord, recPerBatch)
		case h.Size > cifarMaxBatch*cifarRecord:
			return nil, fmt.Errorf("cifar10 archive: %s has %d bytes, more than %d records", h.Name, h.Size, cifarMaxBatch)
		}
		b, err := readCIFAR(tr, int(h.Size/cifarRecord))
		if err != nil {
			return nil, fmt.Errorf("cifar10 archive: %s: %w", h.Name, err)
		}
		out[name] = b
	}
	for _, m := range members {
		if _, ok := out[m]; !ok {
			return nil, fmt.Errorf("cifar10 archive: no member %s/%s", cifarArchiveDir, m)
		}
	}
	return out, nil
}
