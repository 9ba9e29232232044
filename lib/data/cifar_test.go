package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
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

func TestExtractCIFAR(t *testing.T) {
	dir := t.TempDir()
	members := tinyCIFAR()
	files, err := extractCIFAR(bytes.NewReader(cifarTarGz(t, members)), dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range members {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s: extracted bytes differ (%v)", name, err)
		}
		if files[name].SHA256 != sha(b) || files[name].Bytes != int64(len(b)) {
			t.Errorf("%s: manifest entry %+v", name, files[name])
		}
	}
	// Record count per batch enforced when set (the real archive has 10000 per batch).
	_, err = extractCIFAR(bytes.NewReader(cifarTarGz(t, members)), t.TempDir(), 10000)
	mustContain(t, err, "expected 30730000 (10000 records)")
	// A missing member, a partial record and a truncated archive are errors.
	delete(members, "data_batch_4.bin")
	_, err = extractCIFAR(bytes.NewReader(cifarTarGz(t, members)), t.TempDir(), 0)
	mustContain(t, err, "no member cifar-10-batches-bin/data_batch_4.bin")
	members = tinyCIFAR()
	members["data_batch_2.bin"] = members["data_batch_2.bin"][:cifarRecord+1]
	_, err = extractCIFAR(bytes.NewReader(cifarTarGz(t, members)), t.TempDir(), 0)
	mustContain(t, err, "data_batch_2.bin has 3074 bytes, expected a positive multiple of 3073")
	arch := cifarTarGz(t, tinyCIFAR())
	_, err = extractCIFAR(bytes.NewReader(arch[:len(arch)/2]), t.TempDir(), 0)
	mustContain(t, err, "gzip stream truncated or corrupt")
}

func TestExtractCIFARIgnoresOtherPaths(t *testing.T) {
	// Members outside cifar-10-batches-bin/ (here a path-traversal attempt) are never written.
	dir := t.TempDir()
	evil := []byte("x")
	a2 := tarGzWith(t, map[string][]byte{"../evil.bin": evil, "other/data_batch_1.bin": evil})
	_, err := extractCIFAR(bytes.NewReader(a2), dir, 0)
	mustContain(t, err, "no member")
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil.bin")); err == nil {
		t.Fatal("archive wrote outside the destination")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("extracted %d unexpected files", len(entries))
	}
}
