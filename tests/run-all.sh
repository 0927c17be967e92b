#!/usr/bin/env bash
# Installs everything the tests need (Debian and Python packages) and runs every test.
# Run as root: the fault lab builds network namespaces, and apt-get installs system packages.
# Nothing here sends a packet outside loopback or the namespaces the tests create.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "run as root (the fault lab needs ip netns; apt-get needs root): sudo bash tests/run-all.sh" >&2
  exit 2
fi

# System packages: the real Prometheus, promtool, Alertmanager, amtool; nftables and iproute2
# (tc) for the lab; Chromium, and a Chinese font, to look at the status page as a person would;
# VictoriaMetrics and vmalert for the fleet's centre (docs/fleet.md).
export DEBIAN_FRONTEND=noninteractive
need=()
# iptables (its `-m string` matches a ClientHello's name: the lab's DPI), systemd (systemd-analyze for the unit), docker-compose (compose config), podman, buildah,
# runc and mmdebstrap (build and run the image from a local base), busybox (the OpenWrt init
# script under ash), git (the fresh-clone install test), victoria-metrics (the fleet's centre).
for pkg in prometheus prometheus-alertmanager nftables iptables iproute2 chromium fonts-wqy-zenhei procps util-linux \
  systemd docker-compose podman buildah runc mmdebstrap busybox git python3-venv victoria-metrics; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Python: the agent and its test tools.
python3 -m pip install -q --disable-pip-version-check -e ".[test]"

# Leftovers of a crashed earlier run (only namespaces and processes the lab itself made).
python3 -m tests.lab.cleanup --stale >/dev/null 2>&1 || true

python3 -m ruff check agent tests
python3 -m ruff format --check agent tests
python3 -m mypy agent
python3 -m pytest -q -p no:cacheprovider tests "$@"
