//go:build !unix

package curv

import "time"

// processCPU is not available on this platform: 0.
func processCPU() time.Duration { return 0 }
