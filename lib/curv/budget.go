package curv

import (
	"errors"
	"fmt"
)

// Budget is a limit, in bytes, on the memory that one dense computation of this package may
// allocate. It is checked BEFORE anything large is allocated, so an impossible request fails
// at once with an estimate instead of exhausting the machine. The zero value means
// DefaultBudget; a negative value disables the check.
type Budget int64

// DefaultBudget is the budget used when Problem.Budget is zero: 8 GiB.
const DefaultBudget Budget = 8 << 30

// ErrBudget is wrapped by every error that refuses a request because of the memory budget.
var ErrBudget = errors.New("curv: memory budget exceeded")

const gib = float64(1 << 30)

func (b Budget) limit() int64 {
	if b == 0 {
		return int64(DefaultBudget)
	}
	return int64(b)
}

// check returns an error if an allocation of `floats` float64 values for `what` exceeds the
// budget; alt names the cheaper alternative that the caller can use instead.
func (b Budget) check(what string, floats float64, alt string) error {
	lim := b.limit()
	if lim < 0 {
		return nil
	}
	bytes := floats * 8
	if bytes <= float64(lim) {
		return nil
	}
	if alt == "" {
		alt = "use the diagonal-only mode (Diagonals) or top-k Lanczos on an Operator"
	}
	return fmt.Errorf("%w: %s needs about %.3g GiB, budget is %.3g GiB (set Problem.Budget to raise it); cheaper: %s",
		ErrBudget, what, bytes/gib, float64(lim)/gib, alt)
}

// Estimate returns the approximate number of bytes that the dense quantities of a block with
// D parameters need: one D x D matrix is 8 D^2 bytes. Useful for callers that plan ahead.
func Estimate(d, matrices int) int64 { return int64(8 * d * d * matrices) }
