package claims

import (
	"strings"
)

// joinOr joins s with "; ", or returns empty when s is empty.
func joinOr(s []string, empty string) string {
	if len(s) == 0 {
		return empty
	}
	return strings.Join(s, "; ")
}
