package viz

import (
	"fmt"
	"html"
	"strings"

	"github.com/noisecurv/noisecurv/lib/atomicfile"
)

// Page is a self-contained HTML report: the ECharts bundle is inlined once, so the file
// works offline and can be archived with the results.
type Page struct {
	Title    string
	Sections []Section
}

// Section is a heading followed by items (Text, HTML, *Table, *Figure, *Grid) in order.
type Section struct {
	Heading string
	// ID is the heading's anchor (the target of "#ID" links and of the table of contents);
	// empty means one derived from the heading (SectionID).
	ID    string
	Items []Item
}

// SectionID returns the anchor that Page gives a section with this heading and no ID:
// lower case letters and digits, other runs of characters turned into one "-".
func SectionID(heading string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(heading) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return "sec-" + strings.TrimSuffix(b.String(), "-")
}

func (s Section) anchor() string {
	if s.ID != "" {
		return s.ID
	}
	return SectionID(s.Heading)
}

// Add appends a section and returns the page (for chaining).
func (p *Page) Add(heading string, items ...Item) *Page {
	p.Sections = append(p.Sections, Section{Heading: heading, Items: items})
	return p
}

const pageCSS = `body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.noisecurv-table{border-collapse:collapse;margin:8px 0;font-size:13px}
.noisecurv-table td,.noisecurv-table th{border:1px solid #ccc;padding:3px 8px}
.noisecurv-toc{background:#f6f8fa;border:1px solid #ddd;padding:6px 16px;font-size:14px;columns:2}
.noisecurv-toc li{margin:2px 0}.noisecurv-toc a,.noisecurv-table a{color:#0645ad}
.noisecurv-table caption{caption-side:top;text-align:left;font-weight:bold;padding:4px 0}
.noisecurv-chart{margin:6px 0}`

// HTML renders the page. Element ids are derived from the title and a counter, so the
// same page renders to the same bytes.
func (p *Page) HTML() ([]byte, error) {
	r := newDeterministicRenderer(p.Title)
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<title>" + html.EscapeString(p.Title) + "</title>\n<style>" + pageCSS + "</style>\n")
	b.WriteString(LoaderHTML())
	b.WriteString("</head>\n<body>\n")
	if p.Title != "" {
		b.WriteString("<h1>" + html.EscapeString(p.Title) + "</h1>\n")
	}
	// A table of contents when there are three or more headed sections.
	var headed []Section
	for _, s := range p.Sections {
		if s.Heading != "" {
			headed = append(headed, s)
		}
	}
	if len(headed) >= 3 {
		b.WriteString(`<nav class="noisecurv-toc"><b>Contents</b><ol>`)
		for _, s := range headed {
			b.WriteString(`<li><a href="#` + html.EscapeString(s.anchor()) + `">` + html.EscapeString(s.Heading) + "</a></li>")
		}
		b.WriteString("</ol></nav>\n")
	}
	for si, s := range p.Sections {
		if s.Heading != "" {
			b.WriteString(`<h2 id="` + html.EscapeString(s.anchor()) + `">` + html.EscapeString(s.Heading) + "</h2>\n")
		}
		for ii, it := range s.Items {
			if it == nil {
				return nil, fmt.Errorf("viz.Page %q: section %d (%q) item %d is nil", p.Title, si, s.Heading, ii)
			}
			h, err := it.renderHTML(r)
			if err != nil {
				return nil, fmt.Errorf("viz.Page %q: section %d (%q) item %d: %w", p.Title, si, s.Heading, ii, err)
			}
			b.WriteString(h)
		}
	}
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String()), nil
}

// WriteFile writes the page to path atomically (temporary file in the same directory,
// then rename), creating the directory if needed.
func (p *Page) WriteFile(path string) error {
	data, err := p.HTML()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data)
}

// WriteHTML writes the figure alone as a self-contained HTML page.
func (f *Figure) WriteHTML(path string) error {
	if f == nil {
		return fmt.Errorf("viz: WriteHTML %s: nil figure", path)
	}
	p := &Page{Title: f.Title}
	p.Add("", f)
	return p.WriteFile(path)
}
