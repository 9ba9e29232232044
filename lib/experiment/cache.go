package experiment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Cache stores finished results under Dir, one folder per cache key. An entry is written in
// a temporary folder, with a manifest of SHA-256 digests written last, and then renamed into
// place, so a reader sees either a whole entry or none; a killed run leaves at most a
// temporary folder, which is ignored. Get verifies every digest, so a corrupted entry is
// reported as a miss (and removed) and recomputed, never used.
type Cache struct {
	Dir string
}

const manifestName = "manifest.json"

type manifest struct {
	Version int               `json:"version"`
	Key     string            `json:"key"`
	Files   map[string]string `json:"files"` // name -> sha256 hex
}

// ErrCorrupt marks a cache entry whose manifest or files do not verify.
var ErrCorrupt = errors.New("corrupt cache entry")

// Get returns the files of entry key. ok is false when there is no valid entry; a corrupt
// entry is removed and reported through err wrapping ErrCorrupt together with ok == false,
// so callers can log it and recompute.
func (c Cache) Get(key string) (files map[string][]byte, ok bool, err error) {
	dir := filepath.Join(c.Dir, key)
	mb, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("experiment: reading cache entry %s: %w", dir, err)
	}
	bad := func(format string, args ...any) (map[string][]byte, bool, error) {
		os.RemoveAll(dir)
		return nil, false, fmt.Errorf("experiment: cache entry %s: %s: %w", dir, fmt.Sprintf(format, args...), ErrCorrupt)
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return bad("manifest does not parse (%v)", err)
	}
	if m.Version != FormatVersion || m.Key != key {
		return bad("manifest is for version %d key %q, want version %d key %q", m.Version, m.Key, FormatVersion, key)
	}
	files = make(map[string][]byte, len(m.Files))
	for name, want := range m.Files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return bad("file %s unreadable (%v)", name, err)
		}
		if got := digest(b); got != want {
			return bad("file %s has sha256 %s, manifest says %s", name, got, want)
		}
		files[name] = b
	}
	return files, true, nil
}

// Put writes entry key atomically. An existing valid entry is left as it is.
func (c Cache) Put(key string, files map[string][]byte) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("experiment: creating cache dir: %w", err)
	}
	tmp, err := os.MkdirTemp(c.Dir, ".tmp-"+key+"-")
	if err != nil {
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
		if name == manifestName || filepath.Base(name) != name {
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
	if err := os.Rename(tmp, dst); err != nil {
		if _, ok, _ := c.Get(key); ok {
			return nil // another process finished the same entry first
		}
		os.RemoveAll(dst)
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("experiment: installing cache entry %s: %w", dst, err)
		}
	}
	return nil
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
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
