#!/bin/sh
# warm-gonb.sh: at image build time, do what a notebook's first cells make GoNB do, so that the
# lab runs them offline. GoNB compiles each cell in a fresh temporary module and runs a bare
# `go get` there, which checks every module it adds to that module's go.sum against the Go
# checksum database. Here, online, a module of the same shape (this module required through a
# replace, importing every package under lib/ plus what the notebooks import from elsewhere)
# makes those checks once; the go command keeps the answers in the module cache. A second
# module then repeats the `go get` with GOPROXY=off and must succeed from the cache alone.
#
#   docker/warm-gonb.sh          (in the image build, as the lab user, from /opt/noisecurv)
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODULE=github.com/noisecurv/noisecurv
pkgs="$(cd "$ROOT" && go list ./lib/...)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for phase in online offline; do
	mkdir "$tmp/$phase"
	cd "$tmp/$phase"
	go mod init "gonb_warm_$phase" >/dev/null 2>&1
	go mod edit -require="$MODULE@v0.0.0-00010101000000-000000000000" -replace="$MODULE=$ROOT"
	{
		echo 'package main'
		echo 'import ('
		for p in $pkgs github.com/janpfeifer/gonb/gonbui gonum.org/v1/gonum/mat; do echo "	_ \"$p\""; done
		echo ')'
		echo 'func main() {}'
	} >main.go
	if [ $phase = online ]; then
		go get
	else
		GOPROXY=off go get || { echo "warm-gonb.sh: go get needs the network even after warming" >&2; exit 1; }
	fi
done
echo "warm-gonb: checksum database answers cached for $(grep -c . "$tmp/offline/go.sum") go.sum lines; go get works with GOPROXY=off"
