#!/usr/bin/env bash
# install-lab.sh: install the noisecurv notebook lab (Jupyter + GoNB kernel + headless
# Chromium) on Debian/Ubuntu. Idempotent: every step checks first, so a second run
# changes nothing and only reports.
#
#   scripts/install-lab.sh [--system] [--no-apt | --apt-only] [--no-gopls] [--no-chromium]
#                          [--gobin DIR] [--data-dir DIR]
#   scripts/install-lab.sh --test-only
#
#   --test-only   install only the Debian packages `make test` needs (a C compiler, OpenBLAS,
#                 LAPACKE, Chromium) and stop; scripts/test-deps.sh runs this as root.
#   --system      register the kernel system-wide (/usr/local/share/jupyter), e.g. in Docker,
#                 where a volume mounted over $HOME would hide a per-user kernelspec.
#   --no-apt      do not install Debian packages; only report the missing ones.
#   --apt-only    install the Debian packages and stop (the Docker image does this before Go).
#   --no-gopls    skip gopls (completion only; GoNB then needs --force_deps).
#   --no-chromium skip Chromium (used only to check notebook charts and export PNG/SVG).
#   --gobin DIR   where gonb, goimports and gopls go (default: $GOBIN, else $(go env GOPATH)/bin).
#   --data-dir D  Jupyter data directory for the kernelspec (default: $JUPYTER_DATA_DIR,
#                 else `jupyter --data-dir`, i.e. ~/.local/share/jupyter).
#
# Versions are pinned: gonb v0.11.1 and goimports v0.52.0 through the tools module in
# tools/ (tool directives; the proxy refuses gonb's version list, so `go install
# ...@v0.11.1` fails), gopls v0.23.0 on its own (it cannot share a module with goimports
# v0.52.0). See docs/lab.md, "Installing the lab".
set -euo pipefail

GONB_VERSION=v0.11.1
GOIMPORTS_VERSION=v0.52.0
GOPLS_VERSION=v0.23.0
TEST_PACKAGES=(gcc libc6-dev libopenblas-dev liblapacke-dev chromium)
APT_PACKAGES=(jupyter-notebook python3-nbconvert jupyter-nbconvert jupyter-nbformat libjs-mathjax fonts-mathjax libjs-requirejs chromium libopenblas-dev liblapacke-dev dataset-fashion-mnist)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SYSTEM=0 APT=1 APT_ONLY=0 NO_CHROMIUM=0 GOPLS=1 TEST_ONLY=0 GOBIN_DIR="" DATA_DIR=""
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "install-lab.sh: $1 needs a directory (see --help)" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
	case "$1" in
	--system) SYSTEM=1 ;;
	--no-apt) APT=0 ;;
	--apt-only) APT_ONLY=1 ;;
	--test-only) TEST_ONLY=1 ;;
	--no-gopls) GOPLS=0 ;;
	--no-chromium) NO_CHROMIUM=1 ;;
	--gobin) need_value "$@"; GOBIN_DIR="$2"; shift ;;
	--data-dir) need_value "$@"; DATA_DIR="$2"; shift ;;
	-h | --help) awk 'NR>1 && !/^#/ {exit} NR>1 {print}' "$0"; exit 0 ;;
	*) echo "install-lab.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

CHANGED=0
ok() { printf '  [ok]      %s\n' "$*"; }
did() { printf '  [changed] %s\n' "$*"; CHANGED=$((CHANGED + 1)); }
die() { printf 'install-lab.sh: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root (or sudo) to run: $*"
	fi
}

[ $TEST_ONLY = 1 ] && APT_PACKAGES=("${TEST_PACKAGES[@]}")
[ $NO_CHROMIUM = 1 ] && APT_PACKAGES=("${APT_PACKAGES[@]/chromium/}")
echo "== Debian packages"
missing=()
for p in "${APT_PACKAGES[@]}"; do
	[ -n "$p" ] || continue
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	ok "all present: ${APT_PACKAGES[*]}"
elif [ $APT = 0 ]; then
	die "missing Debian packages (run without --no-apt, or install them): ${missing[*]}"
else
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	did "apt-get install ${missing[*]}"
fi

if [ $APT_ONLY = 1 ]; then
	[ $APT = 1 ] || die "--apt-only and --no-apt exclude each other"
	echo "lab: Debian packages ready (--apt-only: Go tools and the kernel not checked)"
	exit 0
fi
if [ $TEST_ONLY = 1 ]; then
	echo "test packages ready (--test-only: the lab itself is installed by a run without it)"
	exit 0
fi

echo "== Go toolchain"
command -v go >/dev/null || die "go not found on PATH (Go 1.26 or newer is required; see https://go.dev/dl)"
GOVERSION="$(go env GOVERSION)"
minor="$(echo "$GOVERSION" | sed -E 's/^go1\.([0-9]+).*/\1/')"
[ "${minor:-0}" -ge 26 ] 2>/dev/null || die "Go $GOVERSION is too old: go.mod needs go 1.26"
GOROOT_BIN="$(go env GOROOT)/bin"
if [ -z "$GOBIN_DIR" ]; then GOBIN_DIR="${GOBIN:-$(go env GOBIN)}"; fi
if [ -z "$GOBIN_DIR" ]; then GOBIN_DIR="$(go env GOPATH | cut -d: -f1)/bin"; fi
mkdir -p "$GOBIN_DIR"
GOBIN_DIR="$(cd "$GOBIN_DIR" && pwd)"
ok "$GOVERSION at $GOROOT_BIN; tools go to $GOBIN_DIR"

# has_version BIN MODULE VERSION: the binary was built from MODULE@VERSION (go version -m).
has_version() {
	[ -x "$1" ] && go version -m "$1" 2>/dev/null | awk -v m="$2" -v v="$3" '($1=="mod"||$1=="dep") && $2==m && $3==v {found=1} END {exit !found}'
}

echo "== GoNB $GONB_VERSION and goimports $GOIMPORTS_VERSION (tools module $ROOT/tools)"
if has_version "$GOBIN_DIR/gonb" github.com/janpfeifer/gonb "$GONB_VERSION" &&
	has_version "$GOBIN_DIR/goimports" golang.org/x/tools "$GOIMPORTS_VERSION"; then
	ok "gonb and goimports already installed"
else
	(cd "$ROOT/tools" && GOBIN="$GOBIN_DIR" GOFLAGS=-mod=readonly go install tool)
	has_version "$GOBIN_DIR/gonb" github.com/janpfeifer/gonb "$GONB_VERSION" || die "gonb $GONB_VERSION not in $GOBIN_DIR after go install tool"
	did "go install tool -> $GOBIN_DIR/gonb, $GOBIN_DIR/goimports"
fi

if [ $GOPLS = 1 ]; then
	echo "== gopls $GOPLS_VERSION (completion in the lab)"
	if has_version "$GOBIN_DIR/gopls" golang.org/x/tools/gopls "$GOPLS_VERSION"; then
		ok "gopls already installed"
	else
		# Outside any module, so that neither go.mod nor tools/go.mod is consulted.
		tmp="$(mktemp -d)"
		(cd "$tmp" && GOBIN="$GOBIN_DIR" GOFLAGS= go install "golang.org/x/tools/gopls@$GOPLS_VERSION")
		rmdir "$tmp"
		did "go install golang.org/x/tools/gopls@$GOPLS_VERSION"
	fi
fi

echo "== GoNB kernelspec"
command -v jupyter >/dev/null || die "jupyter not found on PATH"
# The Python that runs Jupyter (Debian: /usr/bin/python3), for jupyter_client and JSON.
JPY="$(sed -n '1s/^#! *//p' "$(command -v jupyter)" | awk '{print $1}')"
[ -x "${JPY:-}" ] || JPY=python3
if [ -z "$DATA_DIR" ]; then
	if [ $SYSTEM = 1 ]; then DATA_DIR=/usr/local/share/jupyter
	else DATA_DIR="${JUPYTER_DATA_DIR:-$(jupyter --data-dir)}"
	fi
fi
KERNEL_JSON="$DATA_DIR/kernels/gonb/kernel.json"
# The kernel inherits the Jupyter server's PATH, and every cell runs go and goimports:
# put GOBIN and GOROOT/bin first in the kernel's own PATH (jupyter_client expands ${PATH}).
KERNEL_PATH="$GOBIN_DIR:$GOROOT_BIN:\${PATH}"
kernel_ok() {
	[ -f "$KERNEL_JSON" ] && "$JPY" - "$KERNEL_JSON" "$GOBIN_DIR/gonb" "$KERNEL_PATH" <<'EOF'
import json, sys
k = json.load(open(sys.argv[1]))
good = k.get("argv", [None])[0] == sys.argv[2] and "--raw_error" in k["argv"] and k.get("env", {}).get("PATH") == sys.argv[3]
sys.exit(0 if good else 1)
EOF
}
if kernel_ok; then
	ok "kernel registered: $KERNEL_JSON"
else
	force=()
	[ $GOPLS = 1 ] || force=(--force_deps)
	install_kernel() {
		JUPYTER_DATA_DIR="$DATA_DIR" PATH="$GOBIN_DIR:$GOROOT_BIN:$PATH" \
			"$GOBIN_DIR/gonb" --install --raw_error "${force[@]}" >/dev/null 2>"$DATA_DIR/.gonb-install.log" ||
			{ cat "$DATA_DIR/.gonb-install.log" >&2; die "gonb --install failed"; }
		rm -f "$DATA_DIR/.gonb-install.log"
		"$JPY" - "$KERNEL_JSON" "$KERNEL_PATH" <<'EOF'
import json, sys
p = sys.argv[1]
k = json.load(open(p))
k.setdefault("env", {})["PATH"] = sys.argv[2]
json.dump(k, open(p, "w"), indent=1)
EOF
	}
	if [ $SYSTEM = 1 ] && [ "$(id -u)" != 0 ]; then
		die "--system needs root (run with sudo)"
	fi
	mkdir -p "$DATA_DIR"
	install_kernel
	kernel_ok || die "kernel.json at $KERNEL_JSON is not as expected after install"
	did "gonb --install --raw_error into $DATA_DIR (kernel PATH starts with $GOBIN_DIR)"
fi

echo "== checks"
# (Debian's jupyter has no `jupyter kernelspec` subcommand; ask jupyter_client directly.)
spec="$(JUPYTER_DATA_DIR="$DATA_DIR" "$JPY" -c 'from jupyter_client.kernelspec import KernelSpecManager as M; print(M().find_kernel_specs().get("gonb", ""))')"
[ -n "$spec" ] || die "jupyter_client does not find the gonb kernel (JUPYTER_DATA_DIR=$DATA_DIR)"
ok "jupyter finds the gonb kernel: $spec"
printf 'package p\n' | "$GOBIN_DIR/goimports" >/dev/null || die "$GOBIN_DIR/goimports does not run"
ok "goimports runs"
command -v chromium >/dev/null && ok "chromium: $(command -v chromium)" || echo "  [warn]    chromium not on PATH: notebook chart checks and PNG/SVG export will fail"
case ":$PATH:" in
*":$GOBIN_DIR:"*) ok "$GOBIN_DIR is on PATH" ;;
*) echo "  [note]    $GOBIN_DIR is not on this shell's PATH (the kernel has it). For the command line:"
	echo "            export PATH=\"$GOBIN_DIR:\$PATH\"" ;;
esac
if [ $CHANGED = 0 ]; then
	echo "lab ready: nothing to change"
else
	echo "lab ready: $CHANGED step(s) changed"
fi
echo "start it with: make lab  (Jupyter on 127.0.0.1 with a token; it also runs as root)"
