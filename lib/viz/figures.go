package viz

// Figures collects the figures of a report from builders that return (*Figure, error),
// keeping the first error, so that a list of panels reads as a list of calls checked once:
//
//	var fs viz.Figures
//	fs.Add(viz.LogLog(spec1))
//	fs.Add(viz.Lines(spec2))
//	figs, err := fs.Result()
type Figures struct {
	List []*Figure
	Err  error
}

// Add appends f when err is nil and no earlier builder failed, and returns f (nil otherwise,
// which LegendRoom accepts).
func (fs *Figures) Add(f *Figure, err error) *Figure {
	if fs.Err != nil {
		return nil
	}
	if err != nil {
		fs.Err = err
		return nil
	}
	fs.List = append(fs.List, f)
	return f
}

// Result returns the collected figures, or the first error.
func (fs *Figures) Result() ([]*Figure, error) {
	if fs.Err != nil {
		return nil, fs.Err
	}
	return fs.List, nil
}
