// Package viz draws the paper's figures with Apache ECharts (through raw option trees
// built in Go, or go-echarts v2 charts via FromChart) and displays them inline in GoNB
// notebooks, in self-contained offline HTML pages, or as PNG/SVG through headless
// Chromium.
//
// # Figures
//
// LogLog is the Fig. 3 panel: points (x_i, y_i) on log axes, optional power-law fits
//
//	log10 y = b + s · log10 x,   R² = 1 − Σ_i (ℓy_i − b − s ℓx_i)² / Σ_i (ℓy_i − mean ℓy)²,
//
// drawn as y = 10^b x^s with slope s and R² in the legend, and dashed guides of slope 1
// and 2 through the centroid (mean ℓx, mean ℓy) of all displayed points (ℓ = log10).
// A series Offset of k decades multiplies y by 10^k so several series can be stacked in
// one panel without changing their slopes. Lines draws curves vs a variable (γ vs
// epoch) with horizontal reference lines (γ = 1, 2); Spectra plots λ_k against rank k
// on log axes; HeatMap shows a matrix already passed through Symlog,
//
//	s(v) = sign(v) · log10(1 + |v|/c),
//
// with a diverging colour scale; Histogram bins samples on shared dividers with gonum's
// stat.Histogram (optionally log-spaced, or as a density count_k / (n · width_k)); Grid
// lays figures out as small multiples.
//
// Log axes cannot show values ≤ 0. Builders never drop such points silently: they fail
// with an error naming the series and index, unless the caller masks them (MaskPositive,
// or Mask: true on the series, which writes the count into the legend).
//
// # Rendering
//
// A figure renders to a div plus a script. The script waits for window.echarts, runs
// echarts.init(el, null, {renderer: "svg"}).setOption(option) inside an IIFE, and sets
// the div's data-chart-status to "ok" or "error" (with data-chart-error). The notebook
// checker (cmd/nbcheck) counts these markers in headless Chromium. The ECharts 5.4.3
// bundle is embedded (assets/, Apache-2.0) and loaded by LoaderHTML, which hides
// window.define while the bundle runs (require.js would otherwise capture it).
//
// In GoNB call Setup() once in the first cell (sends the bundle), then Show(figs...) in
// any cell; Progress shows a transient progress bar for long cells.
package viz
