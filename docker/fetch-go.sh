#!/usr/bin/env bash
# fetch-go.sh: install a pinned Go toolchain the way GOTOOLCHAIN fetches one: the module
# golang.org/toolchain@v0.0.1-goVERSION.linux-ARCH from the Go module proxy ($GOPROXY), checked
# against its h1: hash in the Go checksum database before anything is unpacked.
#
#   docker/fetch-go.sh [--version 1.26.8] [--arch amd64|arm64] [--dest /usr/local/go]
#                      [--zip FILE] [--check-only]
#
#   --version V   Go version (default $GO_VERSION, else 1.26.8); its h1: hash must be pinned
#                 below, or given in $GO_TOOLCHAIN_H1
#   --arch A      amd64 or arm64 (default: this machine's, from dpkg or uname -m)
#   --dest DIR    where GOROOT goes (default /usr/local/go; must not exist yet)
#   --zip FILE    use this module zip instead of downloading it
#   --check-only  verify the zip's hash and stop (nothing is unpacked into --dest)
#
# The h1: hash is the one go.sum and sum.golang.org record for the module zip (Go's
# dirhash.Hash1: SHA-256 over the sorted lines "sha256(file)  name" of every file in the
# zip), so the check is the same one the go command makes. To pin a new version, take the
# line from https://sum.golang.org/lookup/golang.org/toolchain@v0.0.1-goVERSION.linux-ARCH
# (also served by the proxy under /sumdb/sum.golang.org/lookup/...).
set -euo pipefail

# version-arch -> h1: from the Go checksum database.
declare -A H1=(
	[1.26.8-amd64]="h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM="
	[1.26.8-arm64]="h1:sYL/O6MqS68ML0kjsQ36WoYIpJqkw60TxizWUYUKQMc="
)

die() { printf 'fetch-go.sh: %s\n' "$*" >&2; exit 1; }
VERSION="${GO_VERSION:-1.26.8}" ARCH="" DEST=/usr/local/go ZIP="" CHECK_ONLY=0
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--version) need "$@"; VERSION="$2"; shift ;;
	--arch) need "$@"; ARCH="$2"; shift ;;
	--dest) need "$@"; DEST="$2"; shift ;;
	--zip) need "$@"; ZIP="$2"; shift ;;
	--check-only) CHECK_ONLY=1 ;;
	-h | --help) sed -n '2,20p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done
if [ -z "$ARCH" ]; then
	ARCH="$(dpkg --print-architecture 2>/dev/null || uname -m)"
	case "$ARCH" in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; esac
fi
case "$ARCH" in amd64 | arm64) ;; *) die "--arch $ARCH: want amd64 or arm64" ;; esac
want="${GO_TOOLCHAIN_H1:-${H1[$VERSION-$ARCH]:-}}"
[ -n "$want" ] || die "no h1: hash pinned for Go $VERSION on $ARCH: add it to fetch-go.sh (see --help) or set GO_TOOLCHAIN_H1"
MOD="golang.org/toolchain@v0.0.1-go$VERSION.linux-$ARCH"
for tool in sha256sum sort xargs basenc base64 unzip; do
	command -v "$tool" >/dev/null || die "$tool not found (Debian: coreutils, findutils, unzip)"
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ -z "$ZIP" ]; then
	# The first real proxy in $GOPROXY (comma or pipe separated; "direct" and "off" are not).
	proxy=""
	IFS=',|' read -r -a entries <<<"${GOPROXY:-https://proxy.golang.org}"
	for e in "${entries[@]}"; do
		case "$e" in direct | off | "") ;; *) proxy="${e%/}"; break ;; esac
	done
	[ -n "$proxy" ] || die "GOPROXY=$GOPROXY names no proxy to fetch $MOD from"
	command -v curl >/dev/null || die "curl not found"
	url="$proxy/golang.org/toolchain/@v/v0.0.1-go$VERSION.linux-$ARCH.zip"
	echo "fetch-go: $url"
	curl -fsSL --retry 3 -o "$tmp/go.zip" "$url" || die "download failed: $url"
	ZIP="$tmp/go.zip"
fi
[ -f "$ZIP" ] || die "--zip $ZIP: no such file"

# Go's dirhash.Hash1 over the zip's files, computed from the unpacked tree.
unzip -q "$ZIP" -d "$tmp/x" || die "$ZIP is not a zip file"
[ -d "$tmp/x/$MOD" ] || die "$ZIP does not hold the module $MOD"
got="h1:$(cd "$tmp/x" && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum |
	sha256sum | cut -c1-64 | tr a-f A-F | basenc --base16 -d | base64)"
if [ "$got" != "$want" ]; then
	die "checksum mismatch for $MOD: got $got, want $want (from the Go checksum database)"
fi
echo "fetch-go: $MOD $got verified"
[ $CHECK_ONLY = 1 ] && exit 0

[ ! -e "$DEST" ] || die "--dest $DEST already exists"
mkdir -p "$(dirname "$DEST")"
mv "$tmp/x/$MOD" "$DEST"
# Module zips do not keep execute bits; set them where the go command does after a GOTOOLCHAIN
# download (bin/, pkg/tool/ and the go_*_exec helpers).
chmod -R a+rX "$DEST"
find "$DEST/bin" "$DEST/pkg/tool" -type f -exec chmod a+x {} +
find "$DEST/lib" "$DEST/misc" -type f -name 'go_*_*_exec' -exec chmod a+x {} + 2>/dev/null || true
"$DEST/bin/go" version
