#!/usr/bin/env bash
# Everything a fresh Debian machine needs for flexbench: system packages, npm packages, the build.
# Idempotent; safe to run before every command. Set FLEXBENCH_SKIP_APT=1 to skip the apt step.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  redis-server          # the Redis store (tests, local testbed)
  dpdk dpdk-dev         # dpdk-testpmd: baseline NF and software traffic generator
  tshark                # pcap checks in tests
  iperf3                # real TCP/UDP through the NAT (StatelessNF Table 2, netns testbed)
  tcpreplay             # sends pcaps into veths in tests
  lua5.4                # runs the Lua flexbench sends to Pktgen, in the Pktgen double's tests
  openssh-server openssh-client  # sshd inside the emulated nodes
  iproute2 iputils-ping procps psmisc ethtool  # ethtool: a lab port's real queue count (ethtool -l/-L)
  meson ninja-build liblua5.3-dev libpcap-dev libnuma-dev libbsd-dev  # the tests build a real Pktgen-DPDK from ../shared/vendor/pktgen
  libxdp-dev libbpf-dev xdp-tools pkg-config  # AF_XDP native port
  ansible ansible-lint  # lab provisioning checks
  maven openjdk-17-jre-headless  # Apache Cassandra from Maven Central
  build-essential python3
  fonts-dejavu-core     # text in the PNG figures
)

if [ "${FLEXBENCH_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    # tshark asks whether non-root users may capture; keep the default (no) without a prompt.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# Node.js 20 or newer (.nvmrc): Debian's nodejs where none is installed; an older one is named, not replaced.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing Debian's nodejs and npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: flexbench needs Node.js 20 or newer (.nvmrc: $(cat .nvmrc)); found $(node --version). Install it (nvm install, or NodeSource) and run this again." >&2
  exit 5
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# npm ci builds the native interface addon too, but does not fail if it cannot; the tests need it.
[ -f runtime/native/build/Release/flexbench_iface.node ] || sh runtime/native/build.sh >/dev/null
npm run build --silent
echo "setup: ready ($(nproc) cores, node $(node --version))"
