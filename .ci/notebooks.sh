#!/usr/bin/env bash
# notebooks.sh: execute the notebooks headless, export them to HTML, and check in headless
# Chromium that every chart drew (cmd/nbcheck).
#
#   .ci/notebooks.sh [notebooks/NAME.ipynb ...]     (default: every notebooks/*.ipynb)
#
# The HTML loads MathJax and require.js from copies in $OUT/assets by relative paths, so the
# folder $OUT renders its maths and charts offline on any machine (cmd/nbcheck checks it).
#
# Environment: NOISECURV_PRESET (default fast) is passed to the notebooks;
# NOISECURV_NOTEBOOK_OUT (default results/notebooks) is where the executed .ipynb, the
# .html and a .log per notebook go; NOISECURV_NOTEBOOK_TIMEOUT (default 900) is the
# per-cell timeout in seconds.
#
# Cells run with --allow-errors so that the executed notebook is always written and the
# checker can name the failing cell. This matters because GoNB v0.11.1 only reports build
# errors as cell errors: a cell that panics or exits non-zero merely prints
# "exit status N" and nbconvert would exit 0. cmd/nbcheck fails on both, on charts that
# did not draw, and on charts that went missing between the kernel and the page.
# Exit status: 0 all good, 1 a notebook failed (each failure is printed with its cell).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export NOISECURV_PRESET="${NOISECURV_PRESET:-fast}"
export NOISECURV_ROOT="$ROOT" # the notebooks' first cell wires this module in
OUT="${NOISECURV_NOTEBOOK_OUT:-results/notebooks}"
TIMEOUT="${NOISECURV_NOTEBOOK_TIMEOUT:-900}"
export PATH="$(go env GOPATH | cut -d: -f1)/bin:$PATH"

command -v jupyter >/dev/null || { echo "notebooks.sh: jupyter not found: run scripts/install-lab.sh" >&2; exit 1; }
JPY="$(sed -n '1s/^#! *//p' "$(command -v jupyter)" | awk '{print $1}')"
[ -x "${JPY:-}" ] || JPY=python3
if [ -z "$("$JPY" -c 'from jupyter_client.kernelspec import KernelSpecManager as M; print(M().find_kernel_specs().get("gonb", ""))' 2>/dev/null)" ]; then
	echo "notebooks.sh: the gonb Jupyter kernel is not installed: run scripts/install-lab.sh" >&2
	exit 1
fi

if [ $# -gt 0 ]; then NOTEBOOKS=("$@"); else NOTEBOOKS=(notebooks/*.ipynb); fi
[ -e "${NOTEBOOKS[0]}" ] || { echo "notebooks.sh: no notebooks found" >&2; exit 1; }

mkdir -p "$OUT" bin
go build -o bin/nbcheck ./cmd/nbcheck

# The exported HTML renders its maths offline and on any machine: Debian's nbconvert points it
# at file:///usr/share/javascript/{mathjax,requirejs}, which exist only where those packages are
# installed. Instead $OUT/assets holds a 1.7 MB subset of Debian's MathJax 2.7 (libjs-mathjax:
# the combined TeX + CommonHTML configuration, its extensions and the TeX web fonts) and
# require.js (libjs-requirejs), and the HTML loads them by relative paths.
MATHJAX_SRC="${NOISECURV_MATHJAX:-/usr/share/javascript/mathjax}"
REQUIREJS_SRC="${NOISECURV_REQUIREJS:-/usr/share/javascript/requirejs/require.min.js}"
[ -f "$MATHJAX_SRC/MathJax.js" ] || { echo "notebooks.sh: MathJax not found in $MATHJAX_SRC: install Debian's libjs-mathjax (scripts/install-lab.sh)" >&2; exit 1; }
[ -f "$REQUIREJS_SRC" ] || { echo "notebooks.sh: $REQUIREJS_SRC not found: install Debian's libjs-requirejs (scripts/install-lab.sh)" >&2; exit 1; }
mkdir -p "$OUT/assets/mathjax"
ASSETS="$(cd "$OUT/assets" && pwd)"
(cd "$MATHJAX_SRC" && cp -rL --parents MathJax.js config/TeX-AMS_CHTML-full.js extensions jax/output/CommonHTML \
	jax/input/TeX jax/element fonts/HTML-CSS/TeX/woff "$ASSETS/mathjax/")
cp -L "$REQUIREJS_SRC" "$ASSETS/require.min.js"
EXPORT_FLAGS=(--HTMLExporter.mathjax_url="assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
	--HTMLExporter.require_js_url="assets/require.min.js")

failed=()
htmls=()
echo "== executing ${#NOTEBOOKS[@]} notebook(s), preset $NOISECURV_PRESET, output in $OUT"
for nb in "${NOTEBOOKS[@]}"; do
	name="$(basename "$nb" .ipynb)"
	log="$OUT/$name.log"
	start=$(date +%s)
	if ! jupyter nbconvert --to notebook --execute --allow-errors \
		--ExecutePreprocessor.timeout="$TIMEOUT" --output-dir "$OUT" "$nb" >"$log" 2>&1; then
		echo "FAIL $name: nbconvert could not execute it (cell timeout, dead kernel or invalid notebook). Last lines of $log:"
		# Drop GoNB's klog lines (I1126 12:00:00 ...), keep nbconvert's report with the cell source.
		grep -Ev '^[IWE][0-9]{4} [0-9:.]+ ' "$log" | tail -n 30 | sed 's/^/    /'
		failed+=("$name")
		continue
	fi
	jupyter trust "$OUT/$name.ipynb" >>"$log" 2>&1 || true # opens trusted in Notebook 6 (docs/lab.md, trap 4)
	if ! jupyter nbconvert --to html "${EXPORT_FLAGS[@]}" --output-dir "$OUT" "$OUT/$name.ipynb" >>"$log" 2>&1; then
		echo "FAIL $name: HTML export failed; see $log"
		failed+=("$name")
		continue
	fi
	echo "     $name: executed in $(($(date +%s) - start)) s"
	htmls+=("$OUT/$name.html")
done

if [ ${#htmls[@]} -gt 0 ]; then
	echo "== checking charts in headless Chromium"
	check_out="$(mktemp)"
	if ! bin/nbcheck "${htmls[@]}" | tee "$check_out"; then
		mapfile -t bad < <(sed -n 's/^FAIL \([^:]*\):.*/\1/p' "$check_out")
		failed+=("${bad[@]:-nbcheck}")
	fi
	rm -f "$check_out"
fi

if [ ${#failed[@]} -gt 0 ]; then
	echo "notebooks: FAILED: ${failed[*]} (executed notebooks, HTML and logs in $OUT)"
	exit 1
fi
echo "notebooks: all ${#NOTEBOOKS[@]} passed (HTML in $OUT)"
