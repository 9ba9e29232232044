#!/usr/bin/env bash
# test-deps.sh: check what `make test` needs before any test runs, and say what is missing.
#
#   scripts/test-deps.sh            (BLAS=openblas, the default, also checks the OpenBLAS build)
#   BLAS= scripts/test-deps.sh      (pure Go only: needs Go, nothing else)
#
# Needs: Go 1.26; for BLAS=openblas a C compiler and Debian's libopenblas-dev and
# liblapacke-dev (cblas.h, lapacke.h); Chromium for the chart-drawing tests.
#
# What is missing is installed when this runs as root on a machine with apt-get (through
# scripts/install-lab.sh --test-only, which installs only these packages). Otherwise the script
# stops with one line naming the packages and the command that installs them. A missing
# Chromium only skips the chart-drawing tests (with a warning here), except in CI (CI=true),
# where every missing piece is an error: CI must not pass by skipping.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BLAS="${BLAS-openblas}"
CI="${CI:-}"

say() { printf 'test-deps: %s\n' "$*"; }
die() { printf 'test-deps: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go not found on PATH: install Go 1.26 or newer (https://go.dev/dl)"
minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
[ "${minor:-0}" -ge 26 ] 2>/dev/null || die "Go $(go env GOVERSION) is too old: go.mod needs go 1.26"

# blas_ok: a C program including cblas.h and lapacke.h compiles and links against
# -llapacke -lopenblas (what lib/linalg's cgo directives ask for).
blas_ok() {
	local cc tmp
	cc="$(go env CC)"
	command -v "${cc%% *}" >/dev/null || return 1
	tmp="$(mktemp -d)"
	printf '#include <cblas.h>\n#include <lapacke.h>\nint main(void){double x[1]={1};return (int)cblas_dnrm2(1,x,1)-1+0*LAPACKE_dlapy2(1,1);}\n' >"$tmp/t.c"
	if $cc -o "$tmp/t" "$tmp/t.c" -llapacke -lopenblas >/dev/null 2>&1; then
		rm -rf "$tmp"
		return 0
	fi
	rm -rf "$tmp"
	return 1
}

chromium_path() {
	# As lib/viz.FindChromium: $NOISECURV_CHROMIUM, when set, is the only candidate.
	if [ -n "${NOISECURV_CHROMIUM:-}" ]; then [ -x "$NOISECURV_CHROMIUM" ] && echo "$NOISECURV_CHROMIUM"; return; fi
	for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
		[ -x "$c" ] && { echo "$c"; return 0; }
	done
	return 1
}

missing=()
if [ -n "$BLAS" ]; then
	blas_ok || missing+=("OpenBLAS (a C compiler, cblas.h and lapacke.h: Debian's gcc libopenblas-dev liblapacke-dev)")
fi
chromium_path >/dev/null || missing+=("Chromium (Debian's chromium)")

if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	say "missing: ${missing[*]}; installing with scripts/install-lab.sh --test-only"
	bash "$ROOT/scripts/install-lab.sh" --test-only
	missing=()
	if [ -n "$BLAS" ]; then blas_ok || missing+=("OpenBLAS"); fi
	chromium_path >/dev/null || missing+=("Chromium")
	[ ${#missing[@]} -eq 0 ] || die "still missing after the install: ${missing[*]}"
fi

for m in "${missing[@]}"; do
	case "$m" in
	OpenBLAS*)
		die "missing $m: run \`sudo bash scripts/install-lab.sh --test-only\` (or \`make deps\`), or \`make test BLAS=\` to test the pure-Go build only" ;;
	Chromium*)
		[ "$CI" = true ] && die "missing $m, which CI needs for the chart-drawing tests: run \`sudo bash scripts/install-lab.sh --test-only\`"
		say "warning: $m not found: the chart-drawing tests (lib/viz, cmd/nbcheck) will be SKIPPED; install it with \`sudo apt-get install chromium\` or set NOISECURV_CHROMIUM" ;;
	esac
done

if [ -n "$BLAS" ]; then say "ok: Go $(go env GOVERSION), OpenBLAS build links"; else say "ok: Go $(go env GOVERSION) (BLAS= : pure Go only)"; fi
if p="$(chromium_path)"; then say "ok: Chromium $p"; fi
