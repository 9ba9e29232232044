package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadIDXFromDir(t *testing.T) {
	isolate(t)
	for _, gzipped := range []bool{false, true} {
		ti := newTinyIDX("tinyidx")
		swapDataset(t, ti.d)
		root := t.TempDir()
		ti.write(t, filepath.Join(root, "tinyidx"), gzipped)
		s, err := Load("tinyidx", true, Options{Dir: root, NoDownload: true})
		if err != nil {
			t.Fatal(err)
		}
		r, c := s.X.Dims()
		if r != 6 || c != 6 || s.Len() != 6 || s.Features() != 6 || s.Channels != 1 || s.Height != 3 || s.Width != 2 || s.Classes != 3 {
			t.Fatalf("gz=%v: shape %d x %d, set %+v", gzipped, r, c, s)
		}
		pix := ti.files["train-images-idx3-ubyte"][16:]
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				if want := float64(pix[i*c+j]) / 255; s.X.At(i, j) != want {
					t.Fatalf("X[%d,%d] = %v, want %v", i, j, s.X.At(i, j), want)
				}
			}
		}
		if got := s.Labels; len(got) != 6 || got[2] != 2 || got[4] != 1 {
			t.Errorf("labels %v", got)
		}
		if s.Indices[5] != 5 || s.Name != "tinyidx/train" {
			t.Errorf("indices %v name %q", s.Indices, s.Name)
		}
		ts, err := Load("tinyidx", false, Options{Dir: root, NoDownload: true})
		if err != nil || ts.Len() != 4 || ts.Labels[0] != 2 {
			t.Fatalf("test split: %v %+v", err, ts)
		}
	}
}

func TestLoadSearchOrder(t *testing.T) {
	wd := isolate(t)
	ti := newTinyIDX("tinyidx")
	swapDataset(t, ti.d)
	// Only ./data has the files: found there.
	ti.write(t, filepath.Join(wd, "data", "tinyidx"), true)
	if _, err := Load("tinyidx", true, Options{NoDownload: true}); err != nil {
		t.Fatal(err)
	}
	// $NOISECURV_DATA comes before ./data: a bad copy there is used, and reported.
	env := t.TempDir()
	t.Setenv(EnvDataDir, env)
	ti.write(t, filepath.Join(env, "tinyidx"), false)
	os.WriteFile(filepath.Join(env, "tinyidx", "train-labels-idx1-ubyte"), idxLabels(0, 1, 2, 0, 1, 1), 0o644)
	_, err := Load("tinyidx", true, Options{NoDownload: true})
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ChecksumError, got %v", err)
	}
	mustContain(t, err, filepath.Join(env, "tinyidx", "train-labels-idx1-ubyte"), "$NOISECURV_DATA")
}

func TestLoadFromRepoRootAbove(t *testing.T) {
	isolate(t)
	ti := newTinyIDX("tinyidx")
	swapDataset(t, ti.d)
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("// a comment\nmodule github.com/noisecurv/noisecurv\n\ngo 1.26\n"), 0o644)
	nb := filepath.Join(root, "notebooks", "sub")
	os.MkdirAll(nb, 0o755)
	ti.write(t, filepath.Join(root, "data", "tinyidx"), true)
	t.Chdir(nb)
	if got, ok := repoRoot(nb); !ok || got != root {
		t.Fatalf("repoRoot(%s) = %q, %v", nb, got, ok)
	}
	if _, err := Load("tinyidx", false, Options{NoDownload: true}); err != nil {
		t.Fatal(err)
	}
	if got := defaultDataDir(""); got != filepath.Join(root, "data") {
		t.Errorf("defaultDataDir = %s", got)
	}
	// A go.mod of another module is not the repository root.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "go.mod"), []byte("module github.com/noisecurv/noisecurv/v2\n"), 0o644)
	if _, ok := repoRoot(other); ok {
		t.Error("another module taken for the repository root")
	}
}

func TestLoadChecksumMismatch(t *testing.T) {
	isolate(t)
	ti := newTinyIDX("tinyidx")
	swapDataset(t, ti.d)
	root := t.TempDir()
	ti.write(t, filepath.Join(root, "tinyidx"), true)
	// Well-formed images with other pixels.
	p := filepath.Join(root, "tinyidx", "train-images-idx3-ubyte.gz")
	os.WriteFile(p, gz(idxImages(6, 3, 2, 1)), 0o644)
	_, err := Load("tinyidx", true, Options{Dir: root, NoDownload: true})
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ChecksumError, got %v", err)
	}
	want := ti.d.trainImages.sha256
	got := sha(idxImages(6, 3, 2, 1))
	if ce.File != p || ce.Want != want || ce.Got != got {
		t.Errorf("ChecksumError %+v, want file %s want %s got %s", ce, p, want, got)
	}
	mustContain(t, err, "checksum mismatch for "+p, want, got)
}

func TestLoadTruncatedGzipFile(t *testing.T) {
	isolate(t)
	ti := newTinyIDX("tinyidx")
	swapDataset(t, ti.d)
	root := t.TempDir()
	ti.write(t, filepath.Join(root, "tinyidx"), true)
	p := filepath.Join(root, "tinyidx", "t10k-images-idx3-ubyte.gz")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-6], 0o644)
	_, err := Load("tinyidx", false, Options{Dir: root, NoDownload: true})
	mustContain(t, err, p, "gzip stream truncated or corrupt")
}

func TestLoadWrongDimensions(t *testing.T) {
	isolate(t)
	ti := newTinyIDX("tinyidx")
	ti.d.height, ti.d.wide = 2, 3 // the files are 3 x 2
	swapDataset(t, ti.d)
	root := t.TempDir()
	ti.write(t, filepath.Join(root, "tinyidx"), false)
	_, err := Load("tinyidx", true, Options{Dir: root, NoDownload: true})
	mustContain(t, err, "6 images of 3 x 2, expected 6 of 2 x 3")
}

func TestLoadMissingListsPlaces(t *testing.T) {
	wd := isolate(t)
	ti := newTinyIDX("tinyidx")
	swapDataset(t, ti.d)
	env := t.TempDir()
	t.Setenv(EnvDataDir, env)
	opt := t.TempDir()
	// A partial copy in Options.Dir is reported with what is missing.
	os.MkdirAll(filepath.Join(opt, "tinyidx"), 0o755)
	os.WriteFile(filepath.Join(opt, "tinyidx", "train-images-idx3-ubyte"), ti.files["train-images-idx3-ubyte"], 0o644)

	_, err := Load("tinyidx", true, Options{Dir: opt, NoDownload: true})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Name != "tinyidx" {
		t.Fatalf("want *NotFoundError, got %T", err)
	}
	mustContain(t, err,
		filepath.Join(opt, "tinyidx")+" (Options.Dir): no train-labels-idx1-ubyte[.gz]",
		filepath.Join(env, "tinyidx")+" ($NOISECURV_DATA): no such folder",
		filepath.Join(wd, "data", "tinyidx")+" (./data): no such folder",
		"fake local copy: file does not exist",
		"download: disabled by Options.NoDownload",
		"noisecurv data fetch tinyidx",
		"go run ./cmd/noisecurv data fetch tinyidx",
	)
	if _, err := os.Stat(filepath.Join(opt, "tinyidx", "train-labels-idx1-ubyte")); err == nil {
		t.Error("a failed load left a file behind")
	}

	// With downloads allowed, every mirror tried is listed once, with its failure and files.
	srv, _ := fileServer(t, nil)
	ti.d.mirrors = []string{srv.URL + "/a/", srv.URL + "/b/"}
	_, err = Load("tinyidx", true, Options{Dir: opt})
	missing := "(train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)"
	mustContain(t, err, "from mirror "+srv.URL+"/a/: HTTP status 404 Not Found "+missing,
		"from mirror "+srv.URL+"/b/: HTTP status 404 Not Found "+missing)
	// Unknown names list the known ones.
	_, err = Load("mnist2", true, Options{})
	mustContain(t, err, `unknown dataset "mnist2"`, "cifar10, fashion-mnist, mnist")
}

func TestLoadMNISTReal(t *testing.T) {
	dir, err := gomnistDataDir()
	if err != nil {
		t.Skipf("GoMNIST module not in the module cache: %v", err)
	}
	if _, ok := findIDX(dir, "t10k-images-idx3-ubyte"); !ok {
		t.Skipf("GoMNIST module dir %s has no data", dir)
	}
	isolate(t) // so that only the GoMNIST copy can be found
	start := time.Now()
	test, err := Load(MNIST, false, Options{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MNIST test split: %d samples in %v", test.Len(), time.Since(start))
	if test.Len() != 10000 || test.Labels[0] != 7 || test.Features() != 784 {
		t.Errorf("test split: %d samples, first label %d, %d features", test.Len(), test.Labels[0], test.Features())
	}
	if testing.Short() {
		t.Skip("the 60000 x 784 training split (376 MB) is skipped in -short mode")
	}
	start = time.Now()
	train, err := Load(MNIST, true, Options{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MNIST training split: %d samples in %v (parse from gzip + SHA-256)", train.Len(), time.Since(start))
	if train.Len() != 60000 || train.Labels[0] != 5 {
		t.Fatalf("training split: %d samples, first label %d; want 60000 and 5", train.Len(), train.Labels[0])
	}
	counts := train.ClassCounts()
	if counts[1] != 6742 || counts[5] != 5421 {
		t.Errorf("class counts %v", counts)
	}
	raw := train.X.RawMatrix().Data
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range raw {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
	}
	sub, err := train.Subset(3, 2000, 1)
	if err != nil || sub.Len() != 6000 {
		t.Fatalf("Subset: %v", err)
	}
	_, err = train.Subset(10, 5422, 1)
	mustContain(t, err, "class 5 has 5421 samples, 5422 requested per class")
}

func TestKnownLocalCopies(t *testing.T) {
	// The Fashion-MNIST digests were computed from Debian's package; check them when it is here.
	_, haveFashion := findIDX(fashionDebianDir, "t10k-labels-idx1-ubyte")
	if haveFashion {
		for _, f := range []idxFile{fashionFiles[1], fashionFiles[3]} { // the small ones
			p, _ := findIDX(fashionDebianDir, f.base)
			if err := verifyIDXFile(p, f); err != nil {
				t.Error(err)
			}
		}
	}
	if testing.Short() {
		t.Skip("copying the real datasets is skipped in -short mode")
	}
	// `noisecurv data fetch mnist|fashion-mnist` works offline from the local copies.
	isolate(t)
	for _, name := range []string{MNIST, FashionMNIST} {
		if name == FashionMNIST && !haveFashion {
			t.Log("dataset-fashion-mnist not installed")
			continue
		}
		if name == MNIST {
			if _, err := gomnistDataDir(); err != nil {
				t.Logf("GoMNIST not in the module cache: %v", err)
				continue
			}
		}
		root := t.TempDir()
		var log strings.Builder
		if err := Fetch(name, root, &log); err != nil {
			t.Fatalf("Fetch %s: %v", name, err)
		}
		if strings.Count(log.String(), "copied verified") != 4 {
			t.Errorf("Fetch %s log:\n%s", name, log.String())
		}
		for _, f := range registry[name].allIDX() {
			if _, err := os.Stat(filepath.Join(root, name, f.base+".gz")); err != nil {
				t.Error(err)
			}
		}
	}
}
