#!/usr/bin/env bash
# Installs the Debian 12 packages Promethium needs to build, test and run.
#
# Idempotent: asks dpkg which packages are missing and installs only those;
# `apt-get update` runs only when something must be installed. Works as root
# (CI) and, for other users, through sudo when it exists.
#
# The Debian prometheus, prometheus-node-exporter, victoria-metrics and
# prometheus-alertmanager packages are installed for their binaries
# (promtool, node_exporter, vmctl and alertmanager drive the end-to-end
# tests); their services must not run, since they would take ports
# 9090/9100/8428/9093. A
# temporary policy-rc.d forbids starting them during installation, and any
# that are running afterwards are stopped.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libyaml-cpp-dev libzstd-dev libfmt-dev libre2-dev zlib1g-dev libsnappy-dev
  libprotobuf-dev protobuf-compiler libgtest-dev libgmock-dev libbenchmark-dev
  libxxhash-dev clang-format clang-tidy clang python3  # clang: make checked/tsan/thread-safety
  prometheus prometheus-node-exporter curl
  victoria-metrics  # vmctl reads our Prometheus-format snapshots (tests/e2e/prometheus_dir_test.py)
  prometheus-alertmanager  # receives our alerts (tests/e2e/alertmanager_test.py)
  nodejs chromium  # web UI: npm build and browser tests (npm: see missing_packages)
  docker.io busybox-static  # Docker service discovery e2e test
  libssl-dev  # HTTPS scrapes (tls_config)
  libcrypt-dev  # libxcrypt's crypt_r: bcrypt for --web.config.file's basic_auth_users
)
SERVICES=(prometheus prometheus-node-exporter victoria-metrics prometheus-alertmanager)

log() { echo "setup.sh: $*" >&2; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    log "need root to run: $* (not root and no sudo)"
    exit 1
  fi
}

missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
      echo "$pkg"
    fi
  done
  # NodeSource's nodejs bundles npm; Debian's nodejs needs the npm package.
  command -v npm >/dev/null 2>&1 || echo npm
}

# Installs the given packages with service starts forbidden. An existing
# policy-rc.d is kept aside and restored afterwards.
install_packages() {
  local policy=/usr/sbin/policy-rc.d backup=""
  if [[ -e "$policy" ]]; then
    backup="$(mktemp)"
    as_root cp -p "$policy" "$backup"
  fi
  # shellcheck disable=SC2064  # expand now: the trap must see these values
  trap "restore_policy '$policy' '$backup'" EXIT
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
  as_root chmod 755 "$policy"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
  restore_policy "$policy" "$backup"
  trap - EXIT
}

restore_policy() {
  local policy="$1" backup="$2"
  if [[ -n "$backup" ]]; then
    as_root cp -p "$backup" "$policy"
    rm -f "$backup"
  else
    as_root rm -f "$policy"
  fi
}

# Stops and disables the Debian services should anything have started them.
stop_services() {
  local svc
  for svc in "${SERVICES[@]}"; do
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
      if systemctl is-active --quiet "$svc" 2>/dev/null; then
        log "stopping service $svc"
        as_root systemctl stop "$svc" || true
      fi
      if systemctl is-enabled --quiet "$svc" 2>/dev/null; then
        as_root systemctl disable --quiet "$svc" || true
      fi
    elif [[ -x "/etc/init.d/$svc" ]]; then
      if as_root "/etc/init.d/$svc" status >/dev/null 2>&1; then
        log "stopping service $svc"
        as_root "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
      fi
    fi
  done
}

# Warns when something listens on the ports the services would have taken.
check_ports() {
  local port
  command -v ss >/dev/null 2>&1 || return 0
  for port in 9090 9100; do
    if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
      log "warning: something listens on port $port:"
      ss -ltnpH "sport = :$port" >&2 || true
    fi
  done
}

main() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "all ${#PACKAGES[@]} packages present"
  else
    log "installing: ${missing[*]}"
    install_packages "${missing[@]}"
  fi
  stop_services
  check_ports
}

main "$@"
