#!/usr/bin/env bash
# Installs ozon-probe into its own virtual environment, puts `ozon-probe` on PATH and starts it
# as a systemd service on the built-in default profile (every Ozon service a seller touches,
# control targets, public resolvers, the office router). Status page: http://127.0.0.1:10043/
#
#   sudo bash deploy/install.sh                  # re-run it after `git pull` to update
#   sudo EXTRAS=path,speedtest bash deploy/install.sh
#
# Settings (environment):
#   EXTRAS        optional parts, comma-separated: path (scapy: path/pmtu/arp probes, ~20 MB),
#                 speedtest (speedtest-cli), tls (cryptography: expiry of untrusted certs,
#                 ~15 MB), all. Default: asked on a terminal, none otherwise.
#   PIP_INDEX_URL a PyPI mirror, e.g. https://mirrors.aliyun.com/pypi/simple/ in China
#   PREFIX        the virtual environment (default /opt/ozon-probe)
#   BINDIR        where the `ozon-probe` link goes (default /usr/local/bin)
#   UNITDIR       systemd units (default /etc/systemd/system)
#   SYSCONFDIR    config and the API key file (default /etc/ozon-probe)
#   OZON_PROBE_NO_START=1  install only, do not touch any service
#   SYSTEMCTL     the systemctl to call (default: systemctl, when systemd runs this machine)
#   OZON_PROBE_PIP_ARGS / OZON_PROBE_VENV_ARGS  extra arguments for pip install / python -m venv
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/opt/ozon-probe}
BINDIR=${BINDIR:-/usr/local/bin}
UNITDIR=${UNITDIR:-/etc/systemd/system}
SYSCONFDIR=${SYSCONFDIR:-/etc/ozon-probe}
DOCDIR=$PREFIX/share/doc/ozon-probe
say() { printf '  %s\n' "$*"; }

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "ozon-probe needs Python 3.11 or newer (python3 --version)" >&2; exit 2; }
python3 -c 'import venv, ensurepip' 2>/dev/null || {
  echo "python3 cannot make a virtual environment: apt-get install python3-venv" >&2; exit 2; }

if [[ -z ${EXTRAS+set} ]]; then
  EXTRAS=
  if [[ -t 0 && -t 1 ]]; then
    echo "Optional parts (most sellers need none; Enter for none):"
    echo "  path       trace the route to Ozon hop by hop, path MTU, the router's MAC (scapy)"
    echo "  speedtest  speedtest.net throughput tests (speedtest-cli)"
    echo "  tls        expiry date of a certificate that fails verification (cryptography)"
    read -r -p "Install which (comma-separated, or 'all')? " EXTRAS || EXTRAS=
  fi
fi
EXTRAS=${EXTRAS// /}
if [[ -n $EXTRAS && ! $EXTRAS =~ ^(path|speedtest|tls|all)(,(path|speedtest|tls|all))*$ ]]; then
  echo "EXTRAS: unknown part in '$EXTRAS' (known: path, speedtest, tls, all)" >&2; exit 2
fi
spec=.
[[ -n $EXTRAS ]] && spec=".[$EXTRAS]"

echo "ozon-probe installer"
# shellcheck disable=SC2086  # the extra arguments are words on purpose
python3 -m venv ${OZON_PROBE_VENV_ARGS:-} "$PREFIX"
# shellcheck disable=SC2086
"$PREFIX/bin/pip" install -q --disable-pip-version-check ${OZON_PROBE_PIP_ARGS:-} --upgrade "$spec"
version=$("$PREFIX/bin/ozon-probe" --version)
say "installed $version into $PREFIX${EXTRAS:+ with extras: $EXTRAS}${PIP_INDEX_URL:+ (from $PIP_INDEX_URL)}"

mkdir -p "$BINDIR"
ln -sfn "$PREFIX/bin/ozon-probe" "$BINDIR/ozon-probe"
say "linked $BINDIR/ozon-probe"
case ":$PATH:" in *":$BINDIR:"*) ;; *) say "note: $BINDIR is not on your PATH";; esac

mkdir -p "$DOCDIR"
rm -rf "$DOCDIR/docs"
cp -r README.md LICENSE config.example.yaml docs "$DOCDIR/"
say "documentation in $DOCDIR (README.md, docs/runbook.md, config.example.yaml)"
mkdir -p "$SYSCONFDIR"
chmod 755 "$SYSCONFDIR"

if [[ ${OZON_PROBE_NO_START:-} == 1 ]]; then
  say "not started (OZON_PROBE_NO_START=1): run 'ozon-probe run', or 'ozon-probe check' once"
  exit 0
fi
if [[ -z ${SYSTEMCTL:-} ]]; then
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    SYSTEMCTL=systemctl
  else
    say "no systemd here: start it with 'ozon-probe run' (OpenWrt: deploy/openwrt/, docs/install.md)"
    exit 0
  fi
fi

mkdir -p "$UNITDIR"
sed "s#@PREFIX@#$PREFIX#g" deploy/systemd/ozon-probe.service > "$UNITDIR/ozon-probe.service"
dropin=$UNITDIR/ozon-probe.service.d/raw-sockets.conf
# the service's DynamicUser group is one of 61184..65519: unprivileged ICMP works when the
# kernel's ping_group_range covers them all
read -r lo hi < /proc/sys/net/ipv4/ping_group_range || { lo=1; hi=0; }
why=
[[ ,$EXTRAS, == *,path,* || ,$EXTRAS, == *,all,* ]] && why="the path extra sends raw packets"
((lo <= 61184 && hi >= 65519)) || why=${why:-"net.ipv4.ping_group_range ($lo $hi) does not allow unprivileged ICMP"}
if [[ -n $why ]]; then
  mkdir -p "$(dirname "$dropin")"
  cp deploy/systemd/ozon-probe.service.d/raw-sockets.conf "$dropin"
  say "granted CAP_NET_RAW ($why): $dropin"
else
  rm -f "$dropin"
  say "no capabilities needed (unprivileged ICMP is allowed)"
fi
"$SYSTEMCTL" daemon-reload
"$SYSTEMCTL" enable -q ozon-probe.service
# restart, not `enable --now`: after an update the old code would otherwise keep running
"$SYSTEMCTL" restart ozon-probe.service
say "started $version: systemctl status ozon-probe; status page http://127.0.0.1:10043/"
say "next: ozon-probe check"
