package enum

import "testing"

type color int

var colorNames = [...]string{"red", "green"}

func TestName(t *testing.T) {
	for _, c := range []struct {
		v    color
		want string
	}{
		{0, "red"},
		{1, "green"},
		{2, "color(2)"},
		{-1, "color(-1)"},
		{1 << 40, "color(1099511627776)"},
	} {
		if got := Name(c.v, colorNames[:], "color"); got != c.want {
			t.Errorf("Name(%d) = %q, want %q", int(c.v), got, c.want)
		}
	}
}
