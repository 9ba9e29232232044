package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
)

func TestReadCIFAR10(t *testing.T) {
	in := cifarBatch(5, 3, 0, 9)
	b, err := ReadCIFAR10(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if b.N != 3 || !bytes.Equal(b.Labels, []byte{3, 0, 9}) || len(b.Pix) != 3*3072 {
		t.Fatalf("got N=%d labels=%v pix=%d", b.N, b.Labels, len(b.Pix))
	}
	// Record 1, green plane (c=1), row 2, col 7: byte 1 + 1024 + 2*32 + 7 of the record.
	j := 1024 + 2*32 + 7
	if got, want := b.Pix[3072+j], byte(1*31+j*3)+5; got != want {
		t.Errorf("pixel = %d, want %d", got, want)
	}
}

func TestReadCIFAR10Bad(t *testing.T) {
	good := cifarBatch(0, 1, 2, 3)
	_, err := ReadCIFAR10(bytes.NewReader(good[:2*cifarRecord+100]))
	mustContain(t, err, "record 2 truncated: expected 3073 bytes (1 label + 3072 pixels), got 100")
	_, err = ReadCIFAR10(bytes.NewReader(nil))
	mustContain(t, err, "no records")
	bad := cifarBatch(0, 1, 10)
	_, err = ReadCIFAR10(bytes.NewReader(bad))
	mustContain(t, err, "record 1: label 10, expected 0..9")
	if !errors.Is(err, errLabelRange) {
		t.Errorf("%v does not wrap errLabelRange", err)
	}
	_, err = readCIFAR(bytes.NewReader(good), 2)
	mustContain(t, err, "more than the expected 2 records")
	_, err = readCIFAR(bytes.NewReader(good), 4)
	mustContain(t, err, "expected 4 records (12292 bytes), got 3")
}

func TestReadCIFARArchive(t *testing.T) {
	members := tinyCIFAR()
	all := cifarBatchFiles()
	got, err := readCIFARArchive(bytes.NewReader(cifarTarGz(t, members)), all, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range all {
		b := got[name]
		if b == nil || b.N != len(members[name])/cifarRecord {
			t.Fatalf("%s: %+v", name, b)
		}
		for i := range b.N {
			rec := members[name][i*cifarRecord:]
			if b.Labels[i] != rec[0] || !bytes.Equal(b.Pix[i*cifarPixels:(i+1)*cifarPixels], rec[1:cifarRecord]) {
				t.Errorf("%s record %d differs", name, i)
			}
		}
	}
	// The CIFAR rows of the bad-input table: each archive gives an error with this text.
	for _, tc := range cifarArchiveCases(t) {
		if tc.msg == "" {
			continue
		}
		_, err := readCIFARArchive(bytes.NewReader(tc.data), all, tc.rec)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.msg)
		}
	}
}

// cifarArchiveCase is one archive of the bad-input table (msg "" for a valid one).
type cifarArchiveCase struct {
	name string
	data []byte
	rec  int // records per batch required (0: any)
	msg  string
}

func cifarArchiveCases(t testing.TB) []cifarArchiveCase {
	with := func(f func(map[string][]byte)) []byte {
		m := tinyCIFAR()
		f(m)
		return cifarTarGz(t, m)
	}
	good := cifarTarGz(t, tinyCIFAR())
	// A member header that claims 8 GB: refused from the header, before any read.
	var huge bytes.Buffer
	zw := gzip.NewWriter(&huge)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: cifarArchiveDir + "/data_batch_1.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3073 << 21})
	tw.Flush()
	zw.Close()
	return []cifarArchiveCase{
		{"valid", good, 0, ""},
		{"wrong record count", good, 10000, "expected 30730000 (10000 records)"},
		{"missing member", with(func(m map[string][]byte) { delete(m, "data_batch_4.bin") }), 0, "no member cifar-10-batches-bin/data_batch_4.bin"},
		{"partial record", with(func(m map[string][]byte) { m["data_batch_2.bin"] = m["data_batch_2.bin"][:cifarRecord+1] }), 0, "data_batch_2.bin has 3074 bytes, expected a positive multiple of 3073"},
		{"empty member", with(func(m map[string][]byte) { m["data_batch_2.bin"] = nil }), 0, "data_batch_2.bin has 0 bytes"},
		{"label 10", with(func(m map[string][]byte) { m["test_batch.bin"] = cifarBatch(0, 10) }), 0, "label 10, expected 0..9"},
		{"truncated gzip", good[:len(good)/2], 0, "gzip stream truncated or corrupt"},
		{"not gzip", []byte("BZh91AY&SY"), 0, "gzip header"},
		{"member claims 6.4 GB", huge.Bytes(), 0, "has 6444548096 bytes, more than 10000 records"},
		{"other paths only", tarGzWith(t, map[string][]byte{"../evil.bin": {1}, "other/data_batch_1.bin": {1}}), 0, "no member"},
		{"duplicate member", concatTar(t, map[string][]byte{cifarArchiveDir + "/data_batch_1.bin": cifarBatch(0, 1)}, 2), 0, "appears twice"},
	}
}
