package viz

import (
	"errors"
	"testing"
)

func TestFigures(t *testing.T) {
	var fs Figures
	a := fs.Add(NewFigure("a", nil), nil)
	if a == nil || len(fs.List) != 1 {
		t.Fatalf("first figure: %v, list %d", a, len(fs.List))
	}
	LegendRoom(fs.Add(Lines(LineSpec{Title: "empty"})), 150) // no series: an error, and a nil figure
	if fs.Err == nil {
		t.Fatal("a failing builder left no error")
	}
	first := fs.Err
	if f := fs.Add(NewFigure("c", nil), nil); f != nil || len(fs.List) != 1 {
		t.Errorf("after an error Add kept %v (list %d)", f, len(fs.List))
	}
	fs.Add(nil, errors.New("later"))
	if figs, err := fs.Result(); figs != nil || err != first {
		t.Errorf("Result = %v, %v; want the first error %v", figs, err, first)
	}
	var ok Figures
	ok.Add(NewFigure("x", nil), nil)
	if figs, err := ok.Result(); err != nil || len(figs) != 1 || figs[0].Title != "x" {
		t.Errorf("Result = %v, %v", figs, err)
	}
}
