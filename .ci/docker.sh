#!/usr/bin/env bash
# docker.sh: build the lab image from docker/Dockerfile and use it the way the README says,
# from a fresh copy of the repository (no results/ folder), with the compose file:
#   1. the base image debian:bookworm-slim: present, pulled, or built from Debian's packages
#      (docker/base-image.sh) where no registry can be reached;
#   2. `compose build`; the build's Go downloads go through $NOISECURV_GOPROXY, by default a
#      relay on the Docker bridge to this machine's Go module proxy (.ci/goproxy-relay);
#   3. `compose up`, then: the port is published on 127.0.0.1 only; 403 without the token and
#      200 with it; the token on no command line and not in the log; the server runs as uid
#      1000; with the container's network cut (the lab runs offline): one notebook executed
#      inside it, its charts checked by cmd/nbcheck as for the host notebooks, and a small
#      training run whose cache lands in the mounted results/, owned by uid 1000 and readable
#      on the host;
#   4. `compose restart` keeps the cache and the token; `compose down` leaves nothing running.
#
#   .ci/docker.sh            (from anywhere; CI runs it from .ci/run)
#
# Environment: CI (when set and not "false", a machine without Docker fails this step;
# otherwise it is skipped with one line); NOISECURV_DOCKER_NOTEBOOK (default
# notebooks/smoke.ipynb, every chart kind in a minute; a claim notebook such as
# notebooks/01_fisher_hessian.ipynb takes over ten minutes here); NOISECURV_GOPROXY (skip the
# relay and give the build this module proxy); NOISECURV_DOCKER_KEEP=1 keeps the temporary
# copy for inspection.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NOTEBOOK="${NOISECURV_DOCKER_NOTEBOOK:-notebooks/smoke.ipynb}"
BASE=debian:bookworm-slim
IMAGE=noisecurv-lab:latest
start=$(date +%s)
say() { echo "docker: $*"; }
in_ci() { [ -n "${CI:-}" ] && [ "${CI:-}" != false ]; }

# No Docker: skip outside CI, fail in CI.
why=""
if ! command -v docker >/dev/null; then why="docker not found"
elif ! docker info >/dev/null 2>&1; then why="no Docker engine answers (docker info failed)"
elif docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null; then COMPOSE=(docker-compose)
else why="neither 'docker compose' nor docker-compose is installed"
fi
if [ -n "$why" ]; then
	if in_ci; then echo "docker: FAILED: $why, and CI=$CI requires the Docker lab step" >&2; exit 1; fi
	say "skipped: $why (outside CI; with CI=true this fails)"
	exit 0
fi

WORK="$(mktemp -d /tmp/noisecurv-docker.XXXXXX)"
PROJECT="noisecurv-ci-$$"
RELAY_PID=""
LOG="$WORK/step.log"
compose() { "${COMPOSE[@]}" -p "$PROJECT" -f "$WORK/repo/docker/compose.yaml" "$@"; }
cleanup() {
	compose down --volumes --remove-orphans >/dev/null 2>&1 || true
	[ -z "$RELAY_PID" ] || { kill "$RELAY_PID" 2>/dev/null; wait "$RELAY_PID" 2>/dev/null || true; }
	if [ "${NOISECURV_DOCKER_KEEP:-}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() {
	echo "docker: FAILED: $*" >&2
	[ -s "$LOG" ] && tail -n 40 "$LOG" | sed 's/^/    /' >&2
	exit 1
}

# The token: in a 0600 file and the environment (compose passes it on), never in argv.
(umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/token")
JUPYTER_TOKEN="$(cat "$WORK/token")"
export JUPYTER_TOKEN
printf 'Authorization: token %s\n' "$JUPYTER_TOKEN" >"$WORK/header"
PORT=$((20000 + RANDOM % 20000))
export NOISECURV_LAB_PORT=$PORT NOISECURV_PRESET=fast

# 1. The base image.
t=$(date +%s)
if docker image inspect "$BASE" >/dev/null 2>&1; then
	say "base $BASE present"
elif docker pull -q "$BASE" >"$LOG" 2>&1; then
	say "base $BASE pulled in $(($(date +%s) - t)) s"
else
	say "base $BASE: no registry ($(tail -n 1 "$LOG" | cut -c1-100)); building it with docker/base-image.sh"
	if ! command -v debootstrap >/dev/null; then
		# CI installs what it needs: base-image.sh builds the base from Debian's packages.
		say "installing debootstrap (apt-get) for docker/base-image.sh"
		as_root=""
		[ "$(id -u)" = 0 ] || as_root=sudo
		$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >"$LOG" 2>&1 ||
			{ $as_root apt-get update -qq >>"$LOG" 2>&1 && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >>"$LOG" 2>&1; } ||
			fail "apt-get install debootstrap"
	fi
	bash "$ROOT/docker/base-image.sh" >"$LOG" 2>&1 || fail "docker/base-image.sh"
	say "base built in $(($(date +%s) - t)) s: $(tail -n 1 "$LOG")"
fi

# A fresh copy of the working tree: tracked and untracked-but-not-ignored files, so no
# results/, no bin/, no datasets, exactly what a clone plus local edits holds.
mkdir "$WORK/repo"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
	tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$WORK/repo" -xf -
[ ! -e "$WORK/repo/results" ] || fail "the copy has a results/ folder"

# 2. Build. Build containers here cannot verify the Go proxy's TLS certificate themselves, so
# the build reaches it through a relay on the Docker bridge that uses this machine's own
# connection; module and toolchain hashes are still checked inside the build.
if [ -z "${NOISECURV_GOPROXY:-}" ]; then
	gw="$(ip -4 -o addr show dev docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n 1)"
	gw="${gw:-$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null)}"
	[ -n "$gw" ] || fail "cannot find the Docker bridge's address (docker0) for the module proxy relay"
	upstream="$(go env GOPROXY | tr ',|' '\n\n' | grep -Ev '^(direct|off)?$' | head -n 1 || true)"
	(cd "$ROOT" && go build -o "$WORK/relay" .ci/goproxy-relay/main.go) || fail "building .ci/goproxy-relay"
	# A fixed port when free: the GOPROXY build argument is part of the layer cache's key.
	for port in 17489 0; do
		"$WORK/relay" -listen "$gw:$port" -addr-file "$WORK/relay.addr" -upstream "${upstream:-https://proxy.golang.org}" 2>"$WORK/relay.log" &
		RELAY_PID=$!
		for _ in $(seq 1 50); do [ -s "$WORK/relay.addr" ] && break 2; kill -0 "$RELAY_PID" 2>/dev/null || break; sleep 0.1; done
		kill "$RELAY_PID" 2>/dev/null || true
		RELAY_PID=""
	done
	[ -s "$WORK/relay.addr" ] || fail "the module proxy relay did not start: $(cat "$WORK/relay.log")"
	export NOISECURV_GOPROXY="http://$(cat "$WORK/relay.addr")"
	say "module proxy for the build: relay $NOISECURV_GOPROXY -> ${upstream:-https://proxy.golang.org}"
fi
# The Go toolchain check the build relies on, for both architectures the image supports: the
# arm64 zip (never built here) must match its pinned h1:, and a wrong hash must be refused.
t=$(date +%s)
arm="$WORK/go-arm64.zip"
GO_VERSION="$(sed -n 's/^ARG GO_VERSION=//p' "$ROOT/docker/Dockerfile")"
curl -fsS -o "$arm" "$NOISECURV_GOPROXY/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-arm64.zip" || fail "downloading the arm64 Go toolchain zip"
bash "$ROOT/docker/fetch-go.sh" --version "$GO_VERSION" --arch arm64 --zip "$arm" --check-only >"$LOG" 2>&1 || fail "fetch-go.sh: the arm64 toolchain zip"
python3 - "$WORK/tampered.zip" "$GO_VERSION" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("golang.org/toolchain@v0.0.1-go%s.linux-arm64/bin/go" % sys.argv[2], "not the go command")
EOF
if bash "$ROOT/docker/fetch-go.sh" --version "$GO_VERSION" --arch arm64 --zip "$WORK/tampered.zip" --check-only >"$LOG" 2>&1 ||
	! grep -q "checksum mismatch" "$LOG"; then
	fail "fetch-go.sh accepted a tampered toolchain zip"
fi
rm -f "$arm" "$WORK/tampered.zip"
say "fetch-go.sh: the arm64 toolchain zip matches its pinned h1:, a tampered one is refused ($(($(date +%s) - t)) s)"

t=$(date +%s)
compose build >"$LOG" 2>&1 || fail "compose build (log: $LOG with NOISECURV_DOCKER_KEEP=1)"
build_s=$(($(date +%s) - t))
size="$(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.2f GB", $1/1e9}')"
say "image $IMAGE built in $build_s s (layer cache: $(grep -c 'Using cache' "$LOG" || true) steps reused), size $size"

# 3. Up, from the fresh copy: Docker creates results/ for the bind mount.
compose up -d --no-build >"$LOG" 2>&1 || fail "compose up"
CID="$(compose ps -q lab)"
[ -n "$CID" ] || fail "compose up started no container"
wait_up() {
	for _ in $(seq 1 240); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/api" && return 0
		[ "$(docker inspect -f '{{.State.Running}}' "$CID")" = true ] || { docker logs "$CID" >"$LOG" 2>&1; fail "the lab container stopped"; }
		sleep 0.5
	done
	docker logs "$CID" >"$LOG" 2>&1
	fail "the lab does not answer on 127.0.0.1:$PORT after 120 s"
}
wait_up
say "lab up on 127.0.0.1:$PORT"

# The port: published on 127.0.0.1 only, and not reachable on this machine's other addresses.
bindings="$(docker inspect -f '{{range $p, $b := .NetworkSettings.Ports}}{{range $b}}{{$p}}={{.HostIp}}:{{.HostPort}} {{end}}{{end}}' "$CID")"
for b in $bindings; do
	case "$b" in *=127.0.0.1:*) ;; *) fail "port binding $b is not on 127.0.0.1 only" ;; esac
done
[ -n "$bindings" ] || fail "no published port"
for ip in $(hostname -I 2>/dev/null); do
	case "$ip" in *:*) continue ;; esac
	if curl -s -m 3 -o /dev/null "http://$ip:$PORT/api"; then fail "the lab answers on $ip:$PORT, not only on 127.0.0.1"; fi
done
say "port published as $bindings and refused on $(hostname -I 2>/dev/null | wc -w) other address(es)"

check_token() {
	local without with
	without=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/kernels")
	with=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H @"$WORK/header" "http://127.0.0.1:$PORT/api/kernels")
	[ "$without" = 403 ] && [ "$with" = 200 ] || fail "/api/kernels: $without without the token, $with with it; want 403 and 200"
	say "/api/kernels: 403 without the token, 200 with it"
}
check_token
# The token: on no command line (host ps covers the container's processes; /proc inside too),
# not in the log; the server runs as uid 1000.
ps -eo args >"$WORK/ps"
docker exec "$CID" sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <"$f"; echo; done' >>"$WORK/ps" 2>/dev/null
! grep -qF -f "$WORK/token" "$WORK/ps" || fail "the token is on a process command line"
docker logs "$CID" >"$WORK/lab.log" 2>&1
! grep -qF -f "$WORK/token" "$WORK/lab.log" || fail "the token is in the container's log"
uid="$(docker exec "$CID" awk '/^Uid:/ {print $2}' /proc/1/status)"
[ "$uid" = 1000 ] || fail "the Jupyter server runs as uid $uid, want 1000"
say "token on no command line and not in the log; Jupyter runs as uid $uid"

# Inside the container, offline: it is cut from every network (the published port goes with
# it), so modules, data and charts must all be inside. One notebook, then a small training run
# (MNIST, 3 classes, fast preset, cross-entropy) that writes the run cache into results/.
NET="$(docker inspect -f '{{range $n, $v := .NetworkSettings.Networks}}{{$n}} {{end}}' "$CID")"
for n in $NET; do docker network disconnect "$n" "$CID"; done
name="$(basename "$NOTEBOOK" .ipynb)"
out=/opt/noisecurv/results/notebooks-docker
t=$(date +%s)
docker exec -u lab "$CID" jupyter nbconvert --to notebook --execute --allow-errors --ExecutePreprocessor.timeout=900 \
	--output-dir "$out" "/opt/noisecurv/$NOTEBOOK" >"$LOG" 2>&1 || fail "nbconvert inside the container failed on $NOTEBOOK"
nb_s=$(($(date +%s) - t))
t=$(date +%s)
docker exec -u lab -w /opt/noisecurv "$CID" go run ./cmd/noisecurv train --dataset mnist --model mlp --loss ce --classes 3 --seed 0 >"$LOG" 2>&1 ||
	fail "noisecurv train inside the container"
train_s=$(($(date +%s) - t))
docker exec "$CID" sh -c 'cat /sys/class/net/*/operstate 2>/dev/null; ls /sys/class/net' >"$WORK/net" 2>&1 || true
for n in $NET; do docker network connect "$n" "$CID"; done
say "inside the container with no network (interfaces: $(tail -n 1 "$WORK/net" | tr '\n' ' ')): $NOTEBOOK executed in $nb_s s; noisecurv train in $train_s s: $(tail -n 1 "$LOG" | cut -c1-90)"
# The HTML export and the check, on this machine as .ci/notebooks.sh does them: MathJax and
# require.js copied beside the page (Debian's libjs-mathjax, libjs-requirejs) and loaded by
# relative paths, then cmd/nbcheck, which also reads the executed notebook beside the page.
# (Kept out of results/, so that everything there stays the container user's.)
H="$WORK/html"
mkdir -p "$H/assets/mathjax"
cp "$WORK/repo/results/notebooks-docker/$name.ipynb" "$H/"
(cd /usr/share/javascript/mathjax && cp -rL --parents MathJax.js config/TeX-AMS_CHTML-full.js extensions jax/output/CommonHTML \
	jax/input/TeX jax/element fonts/HTML-CSS/TeX/woff "$H/assets/mathjax/") || fail "MathJax not found: install Debian's libjs-mathjax (scripts/install-lab.sh)"
cp -L /usr/share/javascript/requirejs/require.min.js "$H/assets/" || fail "require.js not found: install Debian's libjs-requirejs"
jupyter nbconvert --to html --HTMLExporter.mathjax_url="assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe" \
	--HTMLExporter.require_js_url="assets/require.min.js" --output-dir "$H" "$H/$name.ipynb" >"$LOG" 2>&1 || fail "HTML export of $name"
(cd "$ROOT" && go build -o "$WORK/nbcheck" ./cmd/nbcheck) || fail "building cmd/nbcheck"
"$WORK/nbcheck" "$H/$name.html" >"$LOG" 2>&1 || fail "cmd/nbcheck: charts of $name"
say "nbcheck: $(tail -n 1 "$LOG")"

# The cache: written into the host's results/ by uid 1000, readable on the host.
R="$WORK/repo/results"
[ "$(stat -c %u "$R")" = 1000 ] || fail "results/ (created by Docker for the mount) is owned by uid $(stat -c %u "$R"), want 1000"
[ -d "$R/cache" ] || fail "no results/cache after noisecurv train"
n_files=$(find "$R/cache" -type f | wc -l)
[ "$n_files" -gt 0 ] || fail "results/cache is empty after noisecurv train"
others=$(find "$R" ! -uid 1000 | head -n 3)
[ -z "$others" ] || fail "files in results/ not owned by uid 1000: $others"
unreadable=$(find "$R" -type f ! -perm -u=r | head -n 3)
[ -z "$unreadable" ] || fail "files in results/ not readable by their owner: $unreadable"
(cd "$R/cache" && find . -type f -print0 | sort -z | xargs -0 cat | sha256sum) >"$WORK/cache.sum"
say "results/cache: $n_files files, all owned by uid 1000 (the host user in a uid-1000 clone), readable"

# 4. Restart keeps the cache and the token; down leaves nothing.
compose restart >"$LOG" 2>&1 || fail "compose restart"
wait_up
check_token
(cd "$R/cache" && find . -type f -print0 | sort -z | xargs -0 cat | sha256sum) | cmp -s - "$WORK/cache.sum" ||
	fail "results/cache changed across the restart"
say "after compose restart: same cache ($n_files files, same bytes), token still required"
compose down >"$LOG" 2>&1 || fail "compose down"
left="$(docker ps -a -q --filter "label=com.docker.compose.project=$PROJECT")$(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT")"
[ -z "$left" ] || fail "compose down left containers or networks: $left"
if curl -s -m 3 -o /dev/null "http://127.0.0.1:$PORT/api"; then fail "port $PORT still answers after compose down"; fi
say "compose down: no container, no network, port closed"
say "ok in $(($(date +%s) - start)) s (image build $build_s s, notebook $nb_s s, image $size)"
