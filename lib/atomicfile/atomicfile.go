// Package atomicfile writes files so that a reader sees either the old file or the complete
// new one, never a partial write: the content goes to a temporary file in the same folder,
// which is synced, given mode 0644 and renamed over the destination; the folder is then
// synced (best effort: not every platform can sync a directory). A failed write leaves the
// destination as it was and removes the temporary file. It is the one atomic writer of the
// module (models, datasets, reports, cache manifests).
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Mode is the permission of every file written here.
const Mode os.FileMode = 0o644

// Write creates path's folder if needed and writes path atomically with the bytes fn writes.
// Errors name path and wrap the cause.
func Write(path string, fn func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("atomicfile: writing %s: %w", path, err)
		}
	}()
	if err = fn(f); err != nil {
		return err
	}
	if err = f.Chmod(Mode); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteFile writes b to path atomically.
func WriteFile(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// Copy writes everything r yields to path atomically and returns the number of bytes.
func Copy(path string, r io.Reader) (int64, error) {
	var n int64
	err := Write(path, func(w io.Writer) error {
		var err error
		n, err = io.Copy(w, r)
		return err
	})
	return n, err
}
