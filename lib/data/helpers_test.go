package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// idxImages builds an IDX image file of n images rows x cols; pixel k of the payload is
// byte(k*7 + salt).
func idxImages(n, rows, cols int, salt byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, [4]uint32{idxImagesMagic, uint32(n), uint32(rows), uint32(cols)})
	for k := 0; k < n*rows*cols; k++ {
		b.WriteByte(byte(k*7) + salt)
	}
	return b.Bytes()
}

func idxLabels(labels ...uint8) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, [2]uint32{idxLabelsMagic, uint32(len(labels))})
	b.Write(labels)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// cifarBatch builds a CIFAR-10 binary batch with the given labels; pixel j of record i is
// byte(i*31 + j*3 + salt).
func cifarBatch(salt byte, labels ...uint8) []byte {
	var b bytes.Buffer
	for i, l := range labels {
		b.WriteByte(l)
		for j := 0; j < cifarPixels; j++ {
			b.WriteByte(byte(i*31+j*3) + salt)
		}
	}
	return b.Bytes()
}

// cifarTarGz builds cifar-10-binary.tar.gz with the given members under cifar-10-batches-bin/.
func cifarTarGz(t testing.TB, members map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: cifarArchiveDir + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	names := []string{cifarMetaFile}
	names = append(names, cifarBatchFiles()...)
	for _, n := range names {
		b, ok := members[n]
		if !ok {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: cifarArchiveDir + "/" + n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

// tarGzWith builds a tar.gz holding the given paths verbatim.
func tarGzWith(t testing.TB, members map[string][]byte) []byte { return concatTar(t, members, 1) }

// concatTar is a tar.gz holding the members n times over.
func concatTar(t testing.TB, members map[string][]byte, n int) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for range n {
		for name, b := range members {
			if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
				t.Fatal(err)
			}
			tw.Write(b)
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// tinyCIFAR returns the members of a small but well-formed CIFAR-10 archive: 3 records per
// training batch (15 in all) and 2 test records.
func tinyCIFAR() map[string][]byte {
	m := map[string][]byte{cifarMetaFile: []byte("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n")}
	for i, f := range cifarTrainFiles {
		m[f] = cifarBatch(byte(i), uint8(3*i%10), uint8((3*i+1)%10), uint8((3*i+2)%10))
	}
	m[cifarTestFile] = cifarBatch(200, 9, 0)
	return m
}

// swapDataset puts d into the registry for the duration of the test (tests here are not
// parallel: they also change the environment and working directory).
func swapDataset(t *testing.T, d *dataset) {
	t.Helper()
	old, had := registry[d.name]
	registry[d.name] = d
	t.Cleanup(func() {
		if had {
			registry[d.name] = old
		} else {
			delete(registry, d.name)
		}
	})
}

// tinyIDX is a fake IDX dataset: 6 training and 4 test images of 3 x 2, labels in 0..2, with
// the real digests of the files it returns.
type tinyIDX struct {
	files map[string][]byte // base name -> raw bytes
	d     *dataset
}

func newTinyIDX(name string) *tinyIDX {
	files := map[string][]byte{
		"train-images-idx3-ubyte": idxImages(6, 3, 2, 0),
		"train-labels-idx1-ubyte": idxLabels(0, 1, 2, 0, 1, 2),
		"t10k-images-idx3-ubyte":  idxImages(4, 3, 2, 100),
		"t10k-labels-idx1-ubyte":  idxLabels(2, 2, 1, 0),
	}
	f := func(base string) idxFile { return idxFile{base, sha(files[base]), int64(len(files[base]))} }
	d := &dataset{
		name: name, kind: kindIDX, classes: 3, channels: 1, height: 3, wide: 2, trainN: 6, testN: 4,
		trainImages: f("train-images-idx3-ubyte"), trainLabels: f("train-labels-idx1-ubyte"),
		testImages: f("t10k-images-idx3-ubyte"), testLabels: f("t10k-labels-idx1-ubyte"),
		local:     func() (string, error) { return "", os.ErrNotExist },
		localDesc: "fake local copy",
	}
	return &tinyIDX{files: files, d: d}
}

// write puts the four files into dir, gzip-compressed when gzipped is true.
func (ti *tinyIDX) write(t *testing.T, dir string, gzipped bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for base, b := range ti.files {
		name := base
		if gzipped {
			b, name = gz(b), base+".gz"
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fileServer serves path -> bytes and counts requests.
func fileServer(t *testing.T, files map[string][]byte) (*httptest.Server, *int) {
	var mu sync.Mutex
	hits := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*hits++
		mu.Unlock()
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q\ndoes not contain %q", err, p)
		}
	}
}

// isolate makes the test independent of the caller's environment: no $NOISECURV_DATA and a
// working directory outside any noisecurv repository.
func isolate(t *testing.T) string {
	t.Helper()
	t.Setenv(EnvDataDir, "")
	wd := t.TempDir()
	t.Chdir(wd)
	return wd
}
