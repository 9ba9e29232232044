package viz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/noisecurv/noisecurv/lib/atomicfile"
)

// ErrNoChromium is returned (wrapped) by the exports when no Chromium binary is found.
var ErrNoChromium = errors.New("headless Chromium not found (install the Debian package chromium, or set NOISECURV_CHROMIUM to its path)")

// ChromiumCandidates are tried in order by FindChromium after $NOISECURV_CHROMIUM.
var ChromiumCandidates = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}

// FindChromium returns the Chromium binary: $NOISECURV_CHROMIUM if set, else the first
// existing ChromiumCandidates entry.
func FindChromium() (string, error) {
	if p := os.Getenv("NOISECURV_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("NOISECURV_CHROMIUM=%s: %w", p, ErrNoChromium)
		}
		return p, nil
	}
	for _, p := range ChromiumCandidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// ChromiumTimeout bounds one Chromium run.
var ChromiumTimeout = 120 * time.Second

// RunChromium runs headless Chromium with the offline-safe flags from docs/lab.md and a fresh
// temporary profile, plus args, and returns its stdout. The profile is removed afterwards.
func RunChromium(ctx context.Context, args ...string) ([]byte, error) {
	bin, err := FindChromium()
	if err != nil {
		return nil, err
	}
	prof, err := os.MkdirTemp("", "noisecurv-chromium-*")
	if err != nil {
		return nil, fmt.Errorf("viz: chromium profile dir: %w", err)
	}
	defer os.RemoveAll(prof)
	ctx, cancel := context.WithTimeout(ctx, ChromiumTimeout)
	defer cancel()
	full := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--no-first-run",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + prof,
	}, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HOME="+prof) // keep crash dumps and caches out of $HOME
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("viz: %s %s: %w\n%s", bin, strings.Join(args, " "), err, tail(stderr.String(), 1500))
	}
	return stdout.Bytes(), nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// FileURL turns a path into a file:// URL.
func FileURL(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}

// DumpDOM loads an HTML file in headless Chromium, lets scripts run for budgetMS of
// virtual time, and returns the serialized DOM.
func DumpDOM(ctx context.Context, path string, budgetMS int) (string, error) {
	return dumpDOM(ctx, path, budgetMS)
}

func dumpDOM(ctx context.Context, path string, budgetMS int, extra ...string) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("viz.DumpDOM: %w", err)
	}
	u, err := FileURL(path)
	if err != nil {
		return "", err
	}
	args := append([]string{"--virtual-time-budget=" + strconv.Itoa(budgetMS)}, extra...)
	out, err := RunChromium(ctx, append(args, "--dump-dom", u)...)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// exportSize is the pixel size used for PNG/SVG exports.
func (f *Figure) exportSize() (int, int) {
	w, h := f.Width, f.Height
	if w <= 0 {
		w = 900
	}
	if h <= 0 {
		h = DefaultHeight
	}
	return w, h
}

// exportPage renders the figure at a fixed size on a bare page; extra is appended to the body.
func (f *Figure) exportPage(extra string) ([]byte, error) {
	w, h := f.exportSize()
	g := *f
	g.Width, g.Height = w, h
	snip, err := g.renderHTML(newDeterministicRenderer(f.Title))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>html,body{margin:0;padding:0;background:#fff}.noisecurv-chart{margin:0;max-width:none!important}</style>\n")
	b.WriteString(LoaderHTML())
	b.WriteString("</head><body>\n")
	b.WriteString(snip)
	b.WriteString(extra)
	b.WriteString("</body></html>\n")
	return []byte(b.String()), nil
}

var (
	statusRe = regexp.MustCompile(`data-chart-status="([a-z]+)"`)
	errorRe  = regexp.MustCompile(`data-chart-error="([^"]*)"`)
	svgOutRe = regexp.MustCompile(`(?s)<pre id="noisecurv-svg-out"[^>]*>(.*?)</pre>`)
)

// checkDrawn returns an error unless the dumped DOM shows the chart marked ok.
func checkDrawn(title, dom string) error {
	m := statusRe.FindStringSubmatch(dom)
	if m == nil {
		return fmt.Errorf("viz: figure %q: no chart status in the rendered page", title)
	}
	if m[1] != "ok" {
		msg := ""
		if e := errorRe.FindStringSubmatch(dom); e != nil {
			msg = ": " + html.UnescapeString(e[1])
		}
		return fmt.Errorf("viz: figure %q: chart status %q%s", title, m[1], msg)
	}
	return nil
}

// WritePNG renders the figure in headless Chromium and writes a PNG screenshot (size
// Width×Height, default 900×DefaultHeight). Returns an error wrapping ErrNoChromium
// when Chromium is absent.
func (f *Figure) WritePNG(path string) error {
	if f == nil {
		return fmt.Errorf("viz: WritePNG %s: nil figure", path)
	}
	if _, err := FindChromium(); err != nil {
		return fmt.Errorf("viz: WritePNG %s: %w", path, err)
	}
	page, err := f.exportPage("")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "noisecurv-png-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "figure.html")
	if err := os.WriteFile(in, page, 0o644); err != nil {
		return err
	}
	// Check the chart drew before taking the picture: a screenshot of an error is no figure.
	dom, err := DumpDOM(context.Background(), in, 10000)
	if err != nil {
		return fmt.Errorf("viz: WritePNG %s: %w", path, err)
	}
	if err := checkDrawn(f.Title, dom); err != nil {
		return fmt.Errorf("viz: WritePNG %s: %w", path, err)
	}
	u, _ := FileURL(in)
	shot := filepath.Join(dir, "shot.png")
	w, h := f.exportSize()
	if _, err := RunChromium(context.Background(), "--virtual-time-budget=10000",
		fmt.Sprintf("--window-size=%d,%d", w, h), "--screenshot="+shot, u); err != nil {
		return fmt.Errorf("viz: WritePNG %s: %w", path, err)
	}
	data, err := os.ReadFile(shot)
	if err != nil || len(data) < 8 || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		return fmt.Errorf("viz: WritePNG %s: Chromium wrote no PNG (%v)", path, err)
	}
	return atomicfile.WriteFile(path, data)
}

// SVG renders the figure in headless Chromium with ECharts' SVG renderer and returns
// the SVG document (chart.renderToSVGString()).
func (f *Figure) SVG() ([]byte, error) {
	if f == nil {
		return nil, fmt.Errorf("viz: SVG: nil figure")
	}
	if _, err := FindChromium(); err != nil {
		return nil, fmt.Errorf("viz: SVG of %q: %w", f.Title, err)
	}
	page, err := f.exportPage(`<pre id="noisecurv-svg-out"></pre>
<script>(function(){var el=document.querySelector(".noisecurv-chart");var out=document.getElementById("noisecurv-svg-out");
try{var c=window.echarts&&echarts.getInstanceByDom(el);if(c){out.textContent=c.renderToSVGString();}}catch(e){out.setAttribute("data-error",String(e));}})();</script>
`)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "noisecurv-svg-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "figure.html")
	if err := os.WriteFile(in, page, 0o644); err != nil {
		return nil, err
	}
	w, h := f.exportSize()
	dom, err := dumpDOM(context.Background(), in, 10000, fmt.Sprintf("--window-size=%d,%d", w, h))
	if err != nil {
		return nil, fmt.Errorf("viz: SVG of %q: %w", f.Title, err)
	}
	if err := checkDrawn(f.Title, dom); err != nil {
		return nil, err
	}
	m := svgOutRe.FindStringSubmatch(dom)
	if m == nil || !strings.Contains(m[1], "&lt;svg") {
		return nil, fmt.Errorf("viz: SVG of %q: ECharts returned no SVG", f.Title)
	}
	svg := html.UnescapeString(m[1])
	if !strings.Contains(svg[:min(len(svg), 300)], "xmlns") {
		svg = strings.Replace(svg, "<svg", `<svg xmlns="http://www.w3.org/2000/svg"`, 1)
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + svg + "\n"), nil
}

// WriteSVG writes SVG() to path atomically.
func (f *Figure) WriteSVG(path string) error {
	data, err := f.SVG()
	if err != nil {
		return fmt.Errorf("viz: WriteSVG %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, data)
}
