#!/usr/bin/env bash
# A throw-away Docker Engine and OCI registry for the docker tests and benchmarks, with the
# test images already in the registry. Nothing touches the machine's own Docker: the engine
# has its own socket, data, network bridge and process, all under one temporary folder.
#
#   eval "$(scripts/docker-sandbox.sh start)"   # sets the variables the tests read
#   npx vitest run --project containers
#   docker ps                                   # the sandbox's containers (DOCKER_HOST is set)
#   eval "$(scripts/docker-sandbox.sh stop)"    # the folder named by HSP_DOCKER_SANDBOX
#
# `start [FOLDER]` starts `dockerd` (root, or sudo) and `docker-registry` on 127.0.0.1 and
# prints, for `eval`:
#   HSP_DOCKER_SANDBOX     the folder (what `stop` removes)
#   HSP_TEST_DOCKER_HOST   unix://FOLDER/docker.sock, the engine (and DOCKER_HOST, the same,
#                          for the docker CLI and the tests that use it)
#   HSP_TEST_REGISTRY      127.0.0.1:PORT, the registry
#   HSP_TEST_IMAGE_HTTPD   an image serving HTTP on port 8080 (busybox httpd; /cgi-bin/env
#                          prints its environment), tagged with a hash of its content
#   HSP_TEST_IMAGE_BROKEN  an image whose command does not exist: it never starts
# `stop [FOLDER]` removes the containers, stops both daemons, deletes the folder, and prints
# the `unset` of those variables.
# `images` (re)builds the images into the registry of the running sandbox; a tag already in
# the registry is not built again.
#
# Needs Debian's docker.io, docker-registry and busybox-static (`.ci/run` installs them), and
# iproute2 and curl. Progress goes to stderr.
set -euo pipefail

log() { printf 'docker-sandbox: %s\n' "$*" >&2; }
# Seconds since the script started, for the progress lines.
T0="$(date +%s%N)"
elapsed() { echo "$(( ($(date +%s%N) - T0) / 1000000 ))" | sed 's/\(...\)$/.\1/; s/^\./0./'; }
die() { log "$*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# The engine writes this file whatever its --data-root; it is removed at stop unless it was
# there before (it may belong to the machine's own Docker).
KEY_JSON=/etc/docker/key.json

engine() {
  curl -sf --max-time 30 --unix-socket "$SANDBOX/docker.sock" "$@"
}

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# A /24 in 10.213.0.0/16 that no interface or route of this machine uses, for the bridge.
free_subnet() {
  local used third
  used="$(ip -4 -o addr show; ip -4 route show)"
  for _ in $(seq 1 50); do
    third=$((RANDOM % 254 + 1))
    if ! grep -q "10\.213\.$third\." <<<"$used"; then
      echo "10.213.$third"
      return
    fi
  done
  die 'found no free 10.213.x.0/24 subnet for the bridge.'
}

wait_for() {
  local what=$1 tries=$2
  shift 2
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "$what did not come up; see the logs in $SANDBOX."
}

start() {
  for tool in dockerd docker docker-registry busybox ip curl node; do
    command -v "$tool" >/dev/null 2>&1 || die "needs $tool on PATH (Debian: docker.io, docker-registry, busybox-static, iproute2, curl)."
  done
  SANDBOX="${1:-}"
  if [ -z "$SANDBOX" ]; then SANDBOX="$(mktemp -d "${TMPDIR:-/tmp}/hsp-docker.XXXXXX")"; fi
  mkdir -p "$SANDBOX"
  SANDBOX="$(cd "$SANDBOX" && pwd)"
  [ ! -e "$SANDBOX/dockerd.pid" ] || die "$SANDBOX already holds a sandbox; stop it first."
  # Whatever fails from here on leaves nothing running.
  trap 'status=$?; if [ "$status" != 0 ]; then stop "$SANDBOX" >/dev/null 2>&1 || true; fi' EXIT

  [ -e "$KEY_JSON" ] || touch "$SANDBOX/remove-key-json"

  # A bridge of its own: two engines on the default docker0 would hand out the same container
  # addresses, and a published port of one could reach a container of the other.
  local bridge subnet
  bridge="hsp-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
  subnet="$(free_subnet)"
  as_root ip link add name "$bridge" type bridge
  echo "$bridge" >"$SANDBOX/bridge"
  as_root ip addr add "$subnet.1/24" dev "$bridge"
  as_root ip link set "$bridge" up

  # --iptables=false --ip-forward=false: the machine's firewall and forwarding stay as they
  # are; published ports still work (through docker-proxy), which is all the tests need.
  local group
  group="$(id -gn)"
  as_root dockerd \
    --data-root "$SANDBOX/data" --exec-root "$SANDBOX/exec" --pidfile "$SANDBOX/dockerd.pid" \
    -H "unix://$SANDBOX/docker.sock" --group "$group" --bridge "$bridge" \
    --iptables=false --ip-forward=false --log-level warn \
    >"$SANDBOX/dockerd.log" 2>&1 </dev/null &
  wait_for 'The Docker Engine' 300 engine http://localhost/_ping

  # A free port, asked of the kernel; another process could take it before the registry does,
  # so a registry that exits at once is started again on a new port.
  local port started=
  mkdir -p "$SANDBOX/registry"
  for _ in 1 2 3; do
    port="$(free_port)"
    cat >"$SANDBOX/registry.yml" <<EOF
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $SANDBOX/registry }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$port }
EOF
    docker-registry serve "$SANDBOX/registry.yml" >"$SANDBOX/registry.log" 2>&1 </dev/null &
    echo $! >"$SANDBOX/registry.pid"
    for _ in $(seq 1 100); do
      if curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$port/v2/"; then
        started=1
        break 2
      fi
      kill -0 "$(cat "$SANDBOX/registry.pid")" 2>/dev/null || break
      sleep 0.1
    done
    end_process "$SANDBOX/registry.pid" 5
  done
  [ -n "$started" ] || die "The registry did not come up; see $SANDBOX/registry.log."
  echo "127.0.0.1:$port" >"$SANDBOX/registry-address"

  local api
  api="$(engine http://localhost/version | sed -n 's/.*"ApiVersion":"\([0-9.]*\)".*/\1/p')"
  log "$(elapsed) s: Docker Engine (API $api) on unix://$SANDBOX/docker.sock, registry on 127.0.0.1:$port"
  images "$SANDBOX"
  trap - EXIT
  print_env
}

# The busybox root file system every test image shares: the static binary and one link per
# applet, so `sh`, `httpd`, `wget` and the rest are on PATH.
rootfs() {
  local dir=$1 busybox
  busybox="$(command -v busybox)"
  # A dynamically linked busybox (Debian's `busybox`, not `busybox-static`) cannot run in an
  # image that has no C library.
  if ldd "$busybox" >/dev/null 2>&1; then die "$busybox is linked dynamically: install busybox-static."; fi
  mkdir -p "$dir/bin" "$dir/www/cgi-bin" "$dir/tmp"
  cp "$busybox" "$dir/bin/busybox"
  # One process for the ~270 links: a fork each is seconds on a busy machine.
  busybox --list | node -e '
    const { symlinkSync } = require("node:fs");
    const applets = require("node:fs").readFileSync(0, "utf8").split("\n").filter((a) => a && a !== "busybox");
    for (const applet of applets) symlinkSync("busybox", `${process.argv[1]}/${applet}`);
  ' "$dir/bin"
  echo 'hello from busybox httpd' >"$dir/www/index.html"
  printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nenv\n' >"$dir/www/cgi-bin/env"
  chmod 755 "$dir/www/cgi-bin/env"
}

# Imports the root file system as NAME with the given Dockerfile instructions, tagged with a
# hash of everything that goes into it, and pushes it; prints the reference. A tag the
# registry already has is not built again.
image() {
  local name=$1
  shift
  local hash ref registry
  registry="$(cat "$SANDBOX/registry-address")"
  hash="$({ sha256sum "$(command -v busybox)"; busybox --list; printf '%s\n' "$name" "$@"; sed -n '/^rootfs()/,/^}/p' "$0"; } | sha256sum | cut -c1-16)"
  ref="$registry/hsp-test/$name:$hash"
  if curl -sf --max-time 5 -o /dev/null -I "http://$registry/v2/hsp-test/$name/manifests/$hash"; then
    echo "$ref"
    return
  fi
  [ -d "$SANDBOX/rootfs" ] || rootfs "$SANDBOX/rootfs"
  local changes=()
  for instruction in "$@"; do changes+=(--change "$instruction"); done
  tar -C "$SANDBOX/rootfs" -c . | DOCKER_HOST="unix://$SANDBOX/docker.sock" docker import "${changes[@]}" - "$ref" >/dev/null
  DOCKER_HOST="unix://$SANDBOX/docker.sock" docker push -q "$ref" >/dev/null
  echo "$ref"
}

images() {
  SANDBOX="${1:-${HSP_DOCKER_SANDBOX:-}}"
  [ -n "$SANDBOX" ] && [ -S "$SANDBOX/docker.sock" ] || die 'no sandbox to build images in: give its folder, or set HSP_DOCKER_SANDBOX.'
  rm -rf "$SANDBOX/rootfs"
  # The shell in front of httpd ends it on SIGTERM: as process 1 of its container, httpd
  # alone would ignore the signal and every stop would wait out its 15 seconds.
  image httpd 'ENV PATH=/bin' 'EXPOSE 8080' \
    'CMD ["sh", "-c", "trap \"exit 0\" TERM; httpd -f -p 8080 -h /www & wait"]' >"$SANDBOX/image-httpd"
  image broken 'ENV PATH=/bin' 'CMD ["/bin/no-such-program"]' >"$SANDBOX/image-broken"
  rm -rf "$SANDBOX/rootfs"
  log "$(elapsed) s: test images $(cat "$SANDBOX/image-httpd"), $(cat "$SANDBOX/image-broken")"
}

print_env() {
  printf 'export HSP_DOCKER_SANDBOX=%q\n' "$SANDBOX"
  printf 'export HSP_TEST_DOCKER_HOST=%q\n' "unix://$SANDBOX/docker.sock"
  printf 'export DOCKER_HOST=%q\n' "unix://$SANDBOX/docker.sock"
  printf 'export HSP_TEST_REGISTRY=%q\n' "$(cat "$SANDBOX/registry-address")"
  printf 'export HSP_TEST_IMAGE_HTTPD=%q\n' "$(cat "$SANDBOX/image-httpd")"
  printf 'export HSP_TEST_IMAGE_BROKEN=%q\n' "$(cat "$SANDBOX/image-broken")"
}

# Sends SIGTERM to the process in a pid file and waits up to `seconds` for it to end, then SIGKILL.
end_process() {
  local pidfile=$1 seconds=$2 pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] || return 0
  as_root kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $((seconds * 10))); do
    as_root kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  as_root kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  SANDBOX="${1:-${HSP_DOCKER_SANDBOX:-}}"
  [ -n "$SANDBOX" ] || die 'which sandbox? Give its folder, or set HSP_DOCKER_SANDBOX.'
  [ -d "$SANDBOX" ] || return 0
  SANDBOX="$(cd "$SANDBOX" && pwd)"
  if [ -S "$SANDBOX/docker.sock" ]; then
    # Removed first, and forcibly: the engine would otherwise stop each one at shutdown,
    # waiting up to its stop timeout.
    local ids
    ids="$(DOCKER_HOST="unix://$SANDBOX/docker.sock" docker ps -aq 2>/dev/null || true)"
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086 # one id per word
      DOCKER_HOST="unix://$SANDBOX/docker.sock" docker rm -f $ids >/dev/null 2>&1 || true
    fi
  fi
  end_process "$SANDBOX/registry.pid" 5
  end_process "$SANDBOX/dockerd.pid" 20
  if [ -f "$SANDBOX/bridge" ]; then as_root ip link del "$(cat "$SANDBOX/bridge")" 2>/dev/null || true; fi
  if [ -f "$SANDBOX/remove-key-json" ]; then as_root rm -f "$KEY_JSON"; fi
  # A killed engine can leave its layers mounted; nothing may stay mounted under the folder.
  local mounts
  mounts="$(awk -v dir="$SANDBOX/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r)"
  if [ -n "$mounts" ]; then
    while IFS= read -r mount; do as_root umount -l "$mount" 2>/dev/null || true; done <<<"$mounts"
  fi
  as_root rm -rf "$SANDBOX"
  log "$(elapsed) s: stopped and removed $SANDBOX"
}

unset_env() {
  echo 'unset HSP_DOCKER_SANDBOX HSP_TEST_DOCKER_HOST HSP_TEST_REGISTRY HSP_TEST_IMAGE_HTTPD HSP_TEST_IMAGE_BROKEN'
  # Only when it names this sandbox: a DOCKER_HOST of the user's own stays.
  if [ "${DOCKER_HOST:-}" = "unix://$SANDBOX/docker.sock" ]; then echo 'unset DOCKER_HOST'; fi
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop)
    stop "${2:-}"
    unset_env
    ;;
  images)
    images "${2:-}"
    print_env
    ;;
  *)
    echo "usage: $0 start [FOLDER] | stop [FOLDER] | images [FOLDER]" >&2
    exit 2
    ;;
esac
