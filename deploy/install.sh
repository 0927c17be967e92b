#!/usr/bin/env bash
# Installs ozon-probe into its own virtual environment and starts it as a systemd service on the
# built-in default profile (every Ozon service a seller touches, control targets, public
# resolvers, the office router). Metrics and the status page: http://127.0.0.1:10043/
#
#   sudo bash deploy/install.sh
#
# PREFIX (default /opt/ozon-probe) and OZON_PROBE_NO_START=1 (install only) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/opt/ozon-probe}

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "ozon-probe needs Python 3.11 or newer" >&2; exit 2; }
python3 -m venv "$PREFIX"
"$PREFIX/bin/pip" install -q --disable-pip-version-check .
echo "installed: $PREFIX/bin/ozon-probe ($("$PREFIX/bin/ozon-probe" --version))"

if [[ ${OZON_PROBE_NO_START:-} == 1 ]]; then
  echo "not started (OZON_PROBE_NO_START=1): run '$PREFIX/bin/ozon-probe run'"
  exit 0
fi
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  sed "s#@PREFIX@#$PREFIX#g" deploy/systemd/ozon-probe.service > /etc/systemd/system/ozon-probe.service
  systemctl daemon-reload
  systemctl enable --now ozon-probe.service
  echo "started: systemctl status ozon-probe; status page http://127.0.0.1:10043/"
else
  echo "no systemd here: start it with '$PREFIX/bin/ozon-probe run' (as root or with CAP_NET_RAW)"
fi
