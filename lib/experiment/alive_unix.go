//go:build unix

package experiment

import (
	"errors"
	"os"
	"syscall"
)

// processAlive reports whether process pid exists (signal 0 probes without sending).
func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
