package experiment

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Cache stores finished results under Dir, one folder per cache key. An entry is written in
// a temporary folder, with a manifest of SHA-256 digests written last, and then renamed into
// place, so a reader sees either a whole entry or none; a killed run leaves at most a
// temporary folder, which readers ignore and Put removes once it is stale (see
// StaleTempAge). Get verifies every digest, so a corrupted entry is reported as a miss (and
// removed) and recomputed, never used; Peek verifies the same way but never removes
// anything, for dry runs and reports.
//
// Every folder is created with mode 0755 and every file with 0644, both under the user's
// umask (the modes of the other outputs), so a cache shared by two users (a container's user
// and the host's) can be read by both, and an entry written by one can be replaced by the
// other wherever the cache folder itself is writable to both.
type Cache struct {
	Dir string
}

const (
	manifestName = "manifest.json"
	// tempPrefix starts the name of an entry being written; oldPrefix that of an entry being
	// replaced. Both are followed by the key, the host name, the process id and a random tag.
	tempPrefix = ".tmp-"
	oldPrefix  = ".old-"
	dirMode    = 0o755
	fileMode   = 0o644
)

// StaleTempAge is the age after which Put removes a temporary folder left by another writer.
// Put writes its temporary folder only after the computation, in seconds, so an hour-old one
// belongs to a killed process. On the same host, a folder whose process no longer exists is
// removed at once.
const StaleTempAge = time.Hour

type manifest struct {
	Version int               `json:"version"`
	Key     string            `json:"key"`
	Files   map[string]string `json:"files"` // name -> sha256 hex
}

// ErrCorrupt marks a cache entry whose manifest or files do not verify, or whose content
// does not decode to what its key promises.
var ErrCorrupt = errors.New("corrupt cache entry")

// Get returns the files of entry key. ok is false when there is no valid entry; a corrupt
// entry is removed and reported through err wrapping ErrCorrupt together with ok == false,
// so callers can log it and recompute.
func (c Cache) Get(key string) (files map[string][]byte, ok bool, err error) {
	files, err = c.read(key)
	if errors.Is(err, ErrCorrupt) {
		c.Remove(key)
	}
	return files, files != nil, err
}

// Peek is Get without side effects: a corrupt entry is reported (err wrapping ErrCorrupt,
// ok false) but left where it is. Dry runs and reports use it.
func (c Cache) Peek(key string) (files map[string][]byte, ok bool, err error) {
	files, err = c.read(key)
	return files, files != nil, err
}

// Remove deletes entry key, first renaming it aside so that readers never see half of it.
func (c Cache) Remove(key string) error {
	dir := filepath.Join(c.Dir, key)
	aside := filepath.Join(c.Dir, oldPrefix+key+"-"+tag())
	if err := os.Rename(dir, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("experiment: removing cache entry %s: %w", dir, err)
	}
	if err := os.RemoveAll(aside); err != nil {
		return fmt.Errorf("experiment: removing cache entry %s: %w", dir, err)
	}
	return nil
}

// read returns the verified files of entry key, (nil, nil) when there is none.
func (c Cache) read(key string) (map[string][]byte, error) {
	dir := filepath.Join(c.Dir, key)
	mb, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("experiment: reading cache entry %s: %w", dir, err)
	}
	bad := func(format string, args ...any) (map[string][]byte, error) {
		return nil, fmt.Errorf("experiment: cache entry %s: %s: %w", dir, fmt.Sprintf(format, args...), ErrCorrupt)
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return bad("manifest does not parse (%v)", err)
	}
	if m.Version != FormatVersion || m.Key != key {
		return bad("manifest is for version %d key %q, want version %d key %q", m.Version, m.Key, FormatVersion, key)
	}
	files := make(map[string][]byte, len(m.Files))
	for name, want := range m.Files {
		if !validName(name) {
			return bad("manifest lists file %q", name)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return bad("file %s unreadable (%v)", name, err)
		}
		if got := digest(b); got != want {
			return bad("file %s has sha256 %s, manifest says %s", name, got, want)
		}
		files[name] = b
	}
	return files, nil
}

func validName(name string) bool {
	return name != manifestName && name != "" && name != "." && name != ".." && filepath.Base(name) == name
}

// Put writes entry key atomically, replacing an existing entry: callers put after a miss, or
// after an entry that verified but did not decode, which must not be read again. If the
// existing entry cannot be moved aside (another user's entry in a folder this user may not
// rename in) but verifies, it is kept and Put succeeds: same key, same computation.
func (c Cache) Put(key string, files map[string][]byte) error {
	if key == "" || !validName(key) || strings.HasPrefix(key, ".") {
		return fmt.Errorf("experiment: cache key %q is not allowed", key)
	}
	if err := os.MkdirAll(c.Dir, dirMode); err != nil {
		return fmt.Errorf("experiment: creating cache dir: %w", err)
	}
	c.cleanStale()
	tmp := filepath.Join(c.Dir, tempPrefix+key+"-"+tag())
	if err := os.Mkdir(tmp, dirMode); err != nil {
		return fmt.Errorf("experiment: creating cache entry: %w", err)
	}
	defer os.RemoveAll(tmp)
	m := manifest{Version: FormatVersion, Key: key, Files: map[string]string{}}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !validName(name) {
			return fmt.Errorf("experiment: cache file name %q is not allowed", name)
		}
		if err := writeSynced(filepath.Join(tmp, name), files[name]); err != nil {
			return err
		}
		m.Files[name] = digest(files[name])
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := writeSynced(filepath.Join(tmp, manifestName), mb); err != nil {
		return err
	}
	dst := filepath.Join(c.Dir, key)
	if err := os.Rename(tmp, dst); err == nil {
		return nil
	}
	// dst exists (a rename onto a non-empty folder fails): move it aside, then retry.
	aside := filepath.Join(c.Dir, oldPrefix+key+"-"+tag())
	if err := os.Rename(dst, aside); err != nil && !errors.Is(err, fs.ErrNotExist) {
		if _, verr := c.read(key); verr == nil {
			return nil // kept: a valid entry of the same computation
		}
		return fmt.Errorf("experiment: installing cache entry %s: the existing entry cannot be replaced: %w", dst, err)
	}
	defer os.RemoveAll(aside)
	if err := os.Rename(tmp, dst); err != nil {
		if _, verr := c.read(key); verr == nil {
			return nil // another process installed the same entry meanwhile
		}
		return fmt.Errorf("experiment: installing cache entry %s: %w", dst, err)
	}
	return nil
}

// tag names a temporary folder: host, process id and a random part. The first two let
// cleanStale tell a dead writer on this host from a live one.
func tag() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r == '-' || r == '/' || r == '.' {
			return '_'
		}
		return r
	}, host)
	var b [4]byte
	rand.Read(b[:])
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// cleanStale removes temporary and set-aside folders whose writer is gone: older than
// StaleTempAge, or written on this host by a process that no longer exists. Errors are
// ignored: a folder that cannot be removed now is tried again next time.
func (c Cache) cleanStale() {
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return
	}
	host, _ := os.Hostname()
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || !(strings.HasPrefix(name, tempPrefix) || strings.HasPrefix(name, oldPrefix)) {
			continue
		}
		if staleTemp(name, host, e) {
			os.RemoveAll(filepath.Join(c.Dir, name))
		}
	}
}

func staleTemp(name, host string, e fs.DirEntry) bool {
	if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > StaleTempAge {
		return true
	}
	// name = prefix + key + "-" + host + "-" + pid + "-" + random
	parts := strings.Split(name, "-")
	if len(parts) < 4 {
		return false
	}
	h := parts[len(parts)-3]
	pid, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil || pid <= 0 || h != strings.NewReplacer("-", "_", "/", "_", ".", "_").Replace(host) {
		return false
	}
	return !processAlive(pid)
}

// MergeReport says what Merge did with each entry of the source folder.
type MergeReport struct {
	// Copied entries were valid in the source and missing (or corrupt) here.
	Copied []string
	// Present entries were already valid here and were left as they are.
	Present []string
	// Skipped entries did not verify in the source (a digest mismatch, a missing file, another
	// FormatVersion); each error names the entry and the reason. They were not copied.
	Skipped []error
}

// Merge copies into c the entries of another cache folder src (for example the cache of one
// shard of a grid run on another machine), so that one report covers them all. Every source
// entry is verified against its manifest (Peek) before it is copied, and written through
// Put (a new manifest, atomic rename); an entry that is already valid in c is kept, one that
// is corrupt in c is replaced by a valid source copy, and a source entry that does not
// verify is skipped and reported, never copied. src is only read. Temporary folders of
// killed runs (names starting with ".") are ignored.
func (c Cache) Merge(src string) (MergeReport, error) {
	var r MergeReport
	if sa, err1 := filepath.Abs(src); err1 == nil {
		if ca, err2 := filepath.Abs(c.Dir); err2 == nil && sa == ca {
			return r, fmt.Errorf("experiment: Merge: source %s is the cache itself", src)
		}
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return r, fmt.Errorf("experiment: Merge: reading source cache folder: %w", err)
	}
	from := Cache{Dir: src}
	for _, e := range ents {
		key := e.Name()
		if !e.IsDir() || strings.HasPrefix(key, ".") {
			continue
		}
		files, ok, err := from.Peek(key)
		if err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("experiment: cache entry %s: no manifest: %w", filepath.Join(src, key), ErrCorrupt)
			}
			r.Skipped = append(r.Skipped, err)
			continue
		}
		if _, ok, _ := c.Peek(key); ok {
			r.Present = append(r.Present, key)
			continue
		}
		if err := c.Put(key, files); err != nil {
			return r, fmt.Errorf("experiment: Merge: %w", err)
		}
		r.Copied = append(r.Copied, key)
	}
	return r, nil
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("experiment: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("experiment: syncing %s: %w", path, err)
	}
	return f.Close()
}
