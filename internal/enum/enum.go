// Package enum formats the small integer enumerations of the lib packages from a table
// of names.
package enum

import "strconv"

// Name returns names[v] when v indexes names, and otherwise typ(v), for example "Method(7)",
// the form a value with no name takes in fmt output.
func Name[E ~int](v E, names []string, typ string) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(int(v)) + ")"
}
