#!/usr/bin/env bash
# base-image.sh: build the Dockerfile's base image, debian:bookworm-slim, from Debian's own
# packages on a machine that cannot pull from an image registry. Elsewhere `docker build`
# pulls the official image and this script is not needed.
#
#   docker/base-image.sh [--force] [--mirror URL]     (needs root and debootstrap)
#
# It runs `debootstrap --variant=minbase bookworm` into a temporary folder, adds what the
# official slim image adds (the deb822 sources with bookworm-updates and bookworm-security,
# dpkg excludes for documentation, apt's docker-clean hook) and loads the result with
# `docker import` as debian:bookworm-slim. An image of that name that already exists is
# kept unless --force.
#
#   --mirror URL  Debian mirror (default: the first deb.debian.org-style URI in this machine's
#                 apt sources, else http://deb.debian.org/debian)
set -euo pipefail

IMAGE=debian:bookworm-slim
SUITE=bookworm
FORCE=0 MIRROR=""
die() { printf 'base-image.sh: %s\n' "$*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--force) FORCE=1 ;;
	--mirror)
		[ $# -ge 2 ] && [ -n "$2" ] || die "--mirror needs a URL, e.g. --mirror http://deb.debian.org/debian"
		MIRROR="$2"; shift ;;
	-h | --help) sed -n '2,15p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done

command -v docker >/dev/null || die "docker not found"
if [ $FORCE = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
	echo "base-image: $IMAGE already present ($(docker image inspect -f '{{.Id}}' "$IMAGE" | cut -c8-19)); --force rebuilds it"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "debootstrap needs root (run with sudo)"
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"

if [ -z "$MIRROR" ]; then
	# The Debian archive this machine's apt uses: deb822 "URIs:" lines or one-line "deb URL".
	MIRROR="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -nE 's#^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?([a-z]+://[^[:space:]]*/debian)/?([[:space:]].*)?$#\3#p' | head -n 1 || true)"
	MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fi
ARCH="$(dpkg --print-architecture)"

ROOTFS="$(mktemp -d /tmp/noisecurv-base.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
start=$(date +%s)
echo "base-image: debootstrap --variant=minbase $SUITE ($ARCH) from $MIRROR"
debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 ||
	{ tail -n 30 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; die "debootstrap failed"; }
rm -f "$ROOTFS.log"

# What the official debian:bookworm-slim image has on top of a minbase system.
rm -f "$ROOTFS/etc/apt/sources.list"
cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages"
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb \
	"$ROOTFS"/usr/share/doc/*/changelog* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/*

tar -C "$ROOTFS" --numeric-owner -c . |
	docker import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--message "debootstrap --variant=minbase $SUITE $MIRROR" - "$IMAGE" >/dev/null
echo "base-image: $IMAGE built in $(($(date +%s) - start)) s, $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
