"""The fault lab: a seller's office, its ISP, "home" internet and Russia in network namespaces.

Usage (needs root, `ip`, `nft`, `tc`; everything runs inside namespaces the lab creates)::

    from tests.lab.lab import Lab
    with Lab() as lab:            # builds, starts servers, waits until healthy; tears down on exit
        lab.office_ns             # namespace where the agent runs
        lab.ca_file               # CA bundle the agent must trust (its tls_ca_file)
        lab.write_agent_config(path, **overrides)   # the agent's YAML config for this lab
        lab.exec("office", ["python", "-c", "..."], timeout=30)  # -> CompletedProcess (text)
        lab.spawn("office", ["python", "-m", "agent", ...])    # -> Popen, killed at teardown
        lab.stop(proc)                                         # or stop it yourself
        lab.probe([{"kind": "https", "url": "https://ya.ru/"}])  # plain checks, see probe.py
        lab.inject("intl_link_down")   # faults stack; each inject adds one (lab.active lists)
        lab.clear()                    # removes every fault and waits until the lab is healthy
        lab.unhealthy()                # failing health checks ([] when healthy)

Nodes: office, router, isp, home, russia; `lab.ns(node)` is a node's namespace name
(ozp-<pid>-<n>-<node>). `lab.exec`/`lab.spawn` run with cwd = the repository root and
PYTHONPATH including it; "python"/"python3" as argv[0] means this interpreter. The module's
constants HOSTS (name -> (node, address)), RESOLVERS, OZON_HOSTS, GATEWAY, LIE_ADDRESS are the
address plan. Teardown kills every process in the lab's namespaces and removes the namespaces,
/etc/netns/<ns>/ and the work directory; a new Lab first removes leftovers of lab processes
that died (`python -m tests.lab.cleanup` removes all ozp-* leftovers by hand).

Topology (routed, static routes, no NAT but the lying-DNS redirect, IPv4 only, no IPv6)::

    office --lan-- router --uplink-- isp ----- home --international-- russia
    198.18.1.10    198.18.1.1        198.18.2.1     198.18.3.1        198.18.4.2
    (agent)        gateway + DNS     198.18.3.2     198.18.4.1        Ozon, ya.ru, vk.com,
                   198.18.2.2                       CN hosts, AliDNS  Yandex DNS, national DNS

Every lab address is in 198.18.0.0/15. Service addresses (loopback of their node):

    home    198.18.30.10 www.baidu.lab   198.18.30.11 www.qq.lab    198.18.30.12 bulk.cn.lab
            198.18.30.53 home public resolver ("AliDNS")
            198.18.30.66 hijack page: where the lying resolver points Ozon names (wrong cert)
    russia  198.19.10.0/24 Ozon only: .10 seller.ozon.ru  .11 id.ozon.ru  .12 api-seller.ozon.ru
            .13 api-performance.ozon.ru  .14 www.ozon.ru (and ozon.ru)  .15 ir.ozone.ru
            .16 st.ozone.ru
            198.19.20.10 ya.ru   198.19.20.11 vk.com   198.19.20.12 bulk.ru.lab
            198.19.53.8 Yandex DNS   198.19.53.4 Russian national DNS

The office's system resolver (/etc/netns/<office>/resolv.conf) is the router, 198.18.1.1:53,
a forwarding DNS to the home public resolver. The home, Yandex and national resolvers all hold
the lab's zone (so with the international link down, names still resolve through the system
and home resolvers, not through the Russian ones). HTTPS on :443 (plain HTTP on :80) on every
web address, with a certificate of the lab's CA; seller.ozon.ru etc. answer 200,
api-seller.ozon.ru answers 401 {"code": 16} (like the real Seller API without credentials),
bulk.*.lab stream an endless body (throughput / saturation). No ICMP is filtered unless a
fault says so: every address pings. The agent config (`write_agent_config`, template
tests/lab/agent-lab.yaml) probes every 2 s with 1-2 s timeouts.

Faults (`Lab.inject(name, **params)`; `FAULTS` maps each name to its description)::

    office_link_down      office's cable unplugged: the router's LAN port goes down
    office_lossy          random loss on the office link (percent=20, each direction)
    gateway_dead          router drops everything from the LAN (no ping, no DNS, no forwarding)
    isp_uplink_down       the router's WAN link to the ISP goes down
    uplink_saturated      router<->ISP limited (rate="2mbit") and filled by a bulk download
    intl_link_down        the home<->russia link goes down (home internet still fine)
    intl_lossy            random loss on the international link (percent=30, each direction)
    intl_rate_limited     international link limited by tbf (rate="512kbit")
    system_dns_down       the router's DNS is silent (public resolvers still answer)
    system_dns_servfail   the router's DNS answers SERVFAIL
    system_dns_lying      the router's DNS answers Ozon names with 198.18.30.66 (the hijack page)
    all_dns_down          every resolver in the lab is silent
    ozon_down             Ozon's hosts answer ping but reset every TCP connection
    ozon_blackholed       every packet to or from Ozon's subnet 198.19.10.0/24 is dropped
    seller_api_5xx        only api-seller.ozon.ru answers 503 (status=503)
    login_hangs           only id.ozon.ru accepts and then never answers
    ozon_slow             every Ozon host delays its answer (delay=3 seconds), except the
                          Seller API (the test server's "slow" would turn its 401 into a 200)
    cdn_other_network     the router's DNS answers Ozon names with 198.19.11.10, a CDN edge in
                          another network with valid certificates (honest disagreement: not a lie)
    dns_udp_rewritten     a transparent DNS proxy on the router: every UDP question from the
                          LAN, to any resolver, is answered by the liar (Ozon names ->
                          198.18.30.66); DNS over TCP passes to the real resolvers
    sni_dropped           as sni_filtered, but the DPI drops the ClientHello (silence, no reset)
    reset_on_the_way      the ISP answers the first data (the ClientHello) of every connection
                          to Ozon's port 443, whatever the name, with a reset of its own
    transfer_frozen       pages of 64 KiB everywhere (but the Seller API); the ISP drops what a
                          server sends on a TLS connection after 16 KiB (kb=16): the "16 KB
                          freeze" of Russian DPI
    tls_intercepted       a TLS-inspection box on the router answers every connection to port
                          443 with a certificate for the name asked, signed by its own CA
                          ("Inspection Proxy CA", which the agent does not trust)
    sni_filtered          the ISP resets every TLS connection whose ClientHello names
                          api-seller.ozon.ru or id.ozon.ru (DPI by SNI, iptables' `-m string`
                          in the ISP's forward path); the cabinet and every other name pass

`lab.set_web(host, behaviour)` and `lab.set_dns(resolver, mode)` set a server's behaviour
directly (mode-file dictionaries of tests/support's webserver and dnsserver) for one-off cases;
`clear()` resets those too.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
LAB_DIR = Path(__file__).resolve().parent
TEMPLATE = LAB_DIR / "agent-lab.yaml"
#: run with `python -c AGENT_FETCH PATH` inside the office: prints the agent's answer at PATH
AGENT_FETCH = (
    "import sys, urllib.request\n"
    "print(urllib.request.urlopen('http://127.0.0.1:10043' + sys.argv[1], timeout=5).read().decode())"
)


def shipped_probes() -> dict[str, dict[str, Any]]:
    """The shipped intervals and timeouts of the round kinds, as agent config: what the
    shipped-interval runs put over the template's 2 s."""
    from agent.probes import KINDS

    out: dict[str, dict[str, Any]] = {}
    for name, spec in KINDS.items():
        s = spec.settings
        if s is None or name not in ("dns", "icmp", "tcp", "tls", "http"):
            continue
        out[name] = {"interval": f"{s.interval:g}s", "timeout": f"{s.timeout:g}s"}
        if "packets" in spec.options:
            out[name]["packets"] = s.packets
        if "spacing" in spec.options:
            out[name]["spacing"] = f"{s.spacing * 1000:g}ms"
    return out


NS_PREFIX = "ozp-"
NODES = ("office", "router", "isp", "home", "russia")
NFT_TABLE = "ozplab"


@dataclass(frozen=True)
class Link:
    name: str
    a: str
    a_if: str
    a_ip: str
    b: str
    b_if: str
    b_ip: str
    prefix: int = 24


LINKS = (
    Link("lan", "office", "lan0", "198.18.1.10", "router", "lan0", "198.18.1.1"),
    Link("uplink", "router", "wan0", "198.18.2.2", "isp", "cust0", "198.18.2.1"),
    Link("isp_home", "isp", "up0", "198.18.3.2", "home", "isp0", "198.18.3.1"),
    Link("intl", "home", "intl0", "198.18.4.1", "russia", "intl0", "198.18.4.2"),
)
LINK = {link.name: link for link in LINKS}

ROUTES: dict[str, list[tuple[str, str]]] = {
    "office": [("default", "198.18.1.1")],
    "router": [("default", "198.18.2.1")],
    "isp": [("default", "198.18.3.1"), ("198.18.1.0/24", "198.18.2.2")],
    "home": [
        ("198.18.1.0/24", "198.18.3.2"),
        ("198.18.2.0/24", "198.18.3.2"),
        ("198.19.0.0/16", "198.18.4.2"),
    ],
    "russia": [("default", "198.18.4.1")],
}

GATEWAY = "198.18.1.1"
OFFICE_IP = "198.18.1.10"
OZON_NET = "198.19.10.0/24"
LIE_ADDRESS = "198.18.30.66"
LIAR_PORT = 5301  # the router's lying DNS (same address as its DNS)
#: a CDN edge in another network than Ozon's 198.19.10.0/24, serving Ozon's names with valid
#: certificates: where the `cdn_other_network` fault's resolver sends them (honest disagreement)
CDN_ADDRESS = "198.19.11.10"
CDN_PORT = 5302  # the router's DNS that answers Ozon names with CDN_ADDRESS
#: the router's TLS-inspection box: certificates for every lab name, signed by its own CA,
#: which the agent does not trust (the `tls_intercepted` fault sends port 443 here)
INTERCEPT_PORT = 8443
INTERCEPT_CA = "Inspection Proxy CA"

# name -> (node, address)
HOSTS: dict[str, tuple[str, str]] = {
    "www.baidu.lab": ("home", "198.18.30.10"),
    "www.qq.lab": ("home", "198.18.30.11"),
    "bulk.cn.lab": ("home", "198.18.30.12"),
    "seller.ozon.ru": ("russia", "198.19.10.10"),
    "id.ozon.ru": ("russia", "198.19.10.11"),
    "api-seller.ozon.ru": ("russia", "198.19.10.12"),
    "api-performance.ozon.ru": ("russia", "198.19.10.13"),
    "www.ozon.ru": ("russia", "198.19.10.14"),
    "ozon.ru": ("russia", "198.19.10.14"),
    "ir.ozone.ru": ("russia", "198.19.10.15"),
    "st.ozone.ru": ("russia", "198.19.10.16"),
    "ya.ru": ("russia", "198.19.20.10"),
    "vk.com": ("russia", "198.19.20.11"),
    "bulk.ru.lab": ("russia", "198.19.20.12"),
}
OZON_HOSTS = tuple(h for h in HOSTS if h.endswith((".ozon.ru", ".ozone.ru")) or h == "ozon.ru")
HOME_CONTROLS = ("www.baidu.lab", "www.qq.lab")
RU_CONTROLS = ("ya.ru", "vk.com")

# resolver name -> (node, address); "system" is the router's forwarding DNS
RESOLVERS: dict[str, tuple[str, str]] = {
    "system": ("router", GATEWAY),
    "home_public": ("home", "198.18.30.53"),
    "yandex": ("russia", "198.19.53.8"),
    "ru_national": ("russia", "198.19.53.4"),
}

# extra loopback addresses per node (besides HOSTS and RESOLVERS)
EXTRA_ADDRESSES = {"home": [LIE_ADDRESS], "russia": [CDN_ADDRESS]}

HEALTHY_WEB: dict[str, dict[str, Any]] = {
    "home": {
        "default": {"behaviour": "ok"},
        "bulk.cn.lab": {"behaviour": "big", "size": 1 << 34},
    },
    "russia": {
        "default": {"behaviour": "ok"},
        "api-seller.ozon.ru": {"behaviour": "seller_api"},
        "bulk.ru.lab": {"behaviour": "big", "size": 1 << 34},
    },
}

#: the `transfer_frozen` fault: real pages are tens of KiB (the lab's healthy ones are a line),
#: and the box counts every byte of the connection in the server's direction, IP headers too
FROZEN_PAGE = 64 * 1024
FROZEN_AFTER = 16 * 1024
FAULTS: dict[str, str] = {
    "office_link_down": "office's cable unplugged: the router's LAN port goes down",
    "office_lossy": "random loss on the office link (percent=20, each direction)",
    "gateway_dead": "router drops everything from the LAN (no ping, no DNS, no forwarding)",
    "isp_uplink_down": "the router's WAN link to the ISP goes down",
    "uplink_saturated": "router<->ISP limited (rate='2mbit') and filled by a bulk download",
    "intl_link_down": "the home<->russia link goes down (home internet still fine)",
    "intl_lossy": "random loss on the international link (percent=30, each direction)",
    "intl_rate_limited": "international link limited by tbf (rate='512kbit')",
    "system_dns_down": "the router's DNS is silent (public resolvers still answer)",
    "system_dns_servfail": "the router's DNS answers SERVFAIL",
    "system_dns_lying": f"the router's DNS answers Ozon names with {LIE_ADDRESS} (hijack page)",
    "all_dns_down": "every resolver in the lab is silent",
    "ozon_down": "Ozon's hosts answer ping but reset every TCP connection",
    "ozon_blackholed": f"every packet to or from Ozon's subnet {OZON_NET} is dropped",
    "seller_api_5xx": "only api-seller.ozon.ru answers 503 (status=503)",
    "login_hangs": "only id.ozon.ru accepts and then never answers",
    "ozon_slow": "every Ozon web host but the Seller API delays its answer (delay=3 seconds)",
    "sni_filtered": "the ISP resets TLS connections naming api-seller.ozon.ru or id.ozon.ru",
    "sni_dropped": "the ISP drops TLS ClientHellos naming api-seller.ozon.ru or id.ozon.ru (silence)",
    "tls_intercepted": f"a TLS-inspection box answers every connection to port 443 with a certificate of its own CA ({INTERCEPT_CA})",
    "dns_udp_rewritten": f"every UDP DNS answer from any resolver is rewritten on the way (Ozon names -> {LIE_ADDRESS}); TCP is clean",
    "cdn_other_network": f"the router's DNS answers Ozon names with {CDN_ADDRESS}: another network, valid certificates",
    "reset_on_the_way": f"the ISP resets every TLS connection to {OZON_NET} after its handshake (any name)",
    "transfer_frozen": f"web pages of {FROZEN_PAGE // 1024} KiB; the ISP drops what a server sends on a TLS connection after {FROZEN_AFTER} bytes (kb=16)",
}
#: the names the `sni_filtered` fault's DPI looks for in a ClientHello
SNI_FILTERED = ("api-seller.ozon.ru", "id.ozon.ru")


class LabError(RuntimeError):
    pass


def _run(argv: Sequence[str], check: bool = True, input: str | None = None) -> str:
    proc = subprocess.run(list(argv), capture_output=True, text=True, input=input, timeout=60)
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def lab_available() -> str | None:
    """None when the lab can run here, else the reason it cannot (for pytest.skip)."""
    if os.geteuid() != 0:
        return "the fault lab needs root (network namespaces)"
    for tool in ("ip", "nft", "tc"):
        if shutil.which(tool) is None:
            return f"the fault lab needs `{tool}`"
    try:
        subprocess.run(["ip", "netns", "list"], capture_output=True, check=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as e:
        return f"`ip netns` is unavailable: {e}"
    for module in ("pki", "dnsserver", "webserver"):
        if not (REPO / "tests" / "support" / f"{module}.py").is_file():
            return f"tests/support/{module}.py is missing"
    return None


_instance = itertools.count()


class Lab:
    """One lab instance; see the module docstring."""

    def __init__(
        self,
        workdir: str | Path | None = None,
        keep_workdir: bool = False,
        extra_hosts: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        # extra_hosts: name -> (node, address) added to the lab's zone and to that node's
        # loopback, for servers a test runs itself (e.g. a speedtest-compatible server); they
        # are not health-checked and get a certificate only through `issue_cert`
        self.extra_hosts = dict(extra_hosts or {})
        self.prefix = f"{NS_PREFIX}{os.getpid()}-{next(_instance)}-"
        self.namespaces = {node: self.prefix + node for node in NODES}
        self._own_workdir = workdir is None
        self._keep_workdir = keep_workdir
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"{self.prefix}lab-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ca_file = str(self.workdir / "pki" / "ca.pem")
        self.active: list[str] = []
        self._created: list[str] = []
        self._procs: list[tuple[str, subprocess.Popen[Any]]] = []
        self._servers: dict[str, subprocess.Popen[Any]] = {}
        self._fault_procs: list[subprocess.Popen[Any]] = []
        self._shaped: list[tuple[str, str]] = []
        self._modes: dict[str, Path] = {}
        self._last_mtime_ns = 0
        self._closed = False

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> Lab:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def office_ns(self) -> str:
        return self.namespaces["office"]

    def ns(self, node: str) -> str:
        if node not in self.namespaces:
            raise ValueError(f"unknown lab node {node!r} (one of {', '.join(NODES)})")
        return self.namespaces[node]

    def start(self) -> None:
        from tests.lab.cleanup import cleanup_stale

        cleanup_stale()  # leftovers of killed runs (their owner process is gone)
        self._build_network()
        self._make_pki()
        self._start_servers()
        self.wait_healthy(timeout=30)

    def close(self) -> None:
        """Kill every process started in the lab, delete its namespaces and files."""
        if self._closed:
            return
        self._closed = True
        procs = [p for _, p in self._procs]
        for p in procs:
            if p.poll() is None:
                with contextlib.suppress(OSError):
                    os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=max(0.01, deadline - time.monotonic()))
        for p in procs:
            if p.poll() is None:
                with contextlib.suppress(OSError):
                    os.killpg(p.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=2)
        for ns in self._created:
            kill_namespace(ns)
        self._created.clear()
        if self._own_workdir and not self._keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # ---------------------------------------------------------------- running things

    def _argv(self, node: str, argv: Sequence[str]) -> list[str]:
        argv = list(argv)
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        return ["ip", "netns", "exec", self.ns(node), *argv]

    def _env(self, env: dict[str, str] | None) -> dict[str, str]:
        out = {**os.environ, **(env or {})}  # what a caller gives is added to the environment
        paths = [str(REPO), *filter(None, out.get("PYTHONPATH", "").split(os.pathsep))]
        out["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        return out

    def exec(
        self,
        node: str,
        argv: Sequence[str],
        timeout: float = 60,
        check: bool = False,
        input: str | None = None,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` inside `node`'s namespace and wait; output is captured as text."""
        return subprocess.run(
            self._argv(node, argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            input=input,
            env=self._env(env),
            cwd=str(cwd or REPO),
        )

    def spawn(
        self,
        node: str,
        argv: Sequence[str],
        stdout: Any = subprocess.DEVNULL,
        stderr: Any = subprocess.DEVNULL,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        **popen: Any,
    ) -> subprocess.Popen[Any]:
        """Start `argv` in the background inside `node`; it is killed at teardown."""
        proc = subprocess.Popen(
            self._argv(node, argv),
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=self._env(env),
            cwd=str(cwd or REPO),
            start_new_session=True,
            **popen,
        )
        self._procs.append((node, proc))
        return proc

    def stop(self, proc: subprocess.Popen[Any], timeout: float = 3) -> None:
        """Stop a process from `spawn` (SIGTERM, then SIGKILL)."""
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def probe(
        self, checks: Iterable[dict[str, Any]], node: str = "office", timeout: float = 60
    ) -> list[dict[str, Any]]:
        """Run plain checks (see tests/lab/probe.py) concurrently inside `node`."""
        items = []
        for c in checks:
            c = dict(c)
            if c.get("kind") == "https":
                c.setdefault("ca", self.ca_file)
            items.append(c)
        proc = self.exec(
            node, ["python", "-m", "tests.lab.probe", "-"], input=json.dumps(items), timeout=timeout
        )
        if proc.returncode != 0:
            raise LabError(f"probe failed: {proc.stderr.strip()}")
        results: list[dict[str, Any]] = json.loads(proc.stdout)
        return results

    # ---------------------------------------------------------------- building

    def _ip(self, node: str, *args: str, check: bool = True) -> str:
        return _run(["ip", "-n", self.ns(node), *args], check=check)

    def _nft(self, node: str, script: str) -> None:
        _run(["ip", "netns", "exec", self.ns(node), "nft", "-f", "-"], input=script)

    def _build_network(self) -> None:
        for node in NODES:
            ns = self.ns(node)
            _run(["ip", "netns", "add", ns])
            self._created.append(ns)
            sysctls = {
                "net.ipv6.conf.all.disable_ipv6": "1",
                "net.ipv6.conf.default.disable_ipv6": "1",
                "net.ipv4.ping_group_range": "0 2147483647",
                "net.ipv4.ip_forward": "0" if node == "office" else "1",
            }
            _run(
                ["ip", "netns", "exec", ns, "sysctl", "-q", "-w"]
                + [f"{k}={v}" for k, v in sysctls.items()]
            )
            self._ip(node, "link", "set", "lo", "up")
            self._nft(
                node,
                f"add table inet {NFT_TABLE}\n"
                + "".join(
                    f"add chain inet {NFT_TABLE} {chain} "
                    f"{{ type filter hook {hook} priority {prio}; policy accept; }}\n"
                    for chain, hook, prio in (
                        ("f_pre", "prerouting", -150),
                        ("f_in", "input", 0),
                        ("f_fwd", "forward", 0),
                        ("f_out", "output", 0),
                        ("f_post", "postrouting", 0),
                    )
                ),
            )
            if node == "router":
                self._nft(
                    node,
                    f"add table ip {NFT_TABLE}\n"
                    f"add chain ip {NFT_TABLE} nat_pre "
                    "{ type nat hook prerouting priority -100; policy accept; }\n",
                )
                # a redirected DNS flow outlives its rule for as long as conntrack keeps it
                # (30 s for UDP): a query that reused a source port after clear() still
                # reached the liar. The nat table loaded conntrack in this namespace; its
                # timeouts are the namespace's own
                _run(
                    ["ip", "netns", "exec", ns, "sysctl", "-q", "-w",
                     "net.netfilter.nf_conntrack_udp_timeout=1",
                     "net.netfilter.nf_conntrack_udp_timeout_stream=1"]
                )  # fmt: skip
            etc = Path("/etc/netns") / ns
            etc.mkdir(parents=True, exist_ok=True)
            resolver = GATEWAY if node in ("office", "router") else RESOLVERS["home_public"][1]
            if node == "russia":
                resolver = RESOLVERS["yandex"][1]
            (etc / "resolv.conf").write_text(f"# ozon-probe lab\nnameserver {resolver}\n")
            (etc / "hosts").write_text("127.0.0.1 localhost\n")
        for link in LINKS:
            self._ip(
                link.a,
                "link",
                "add",
                link.a_if,
                "type",
                "veth",
                "peer",
                "name",
                link.b_if,
                "netns",
                self.ns(link.b),
            )
            for node, ifname, ip in (
                (link.a, link.a_if, link.a_ip),
                (link.b, link.b_if, link.b_ip),
            ):
                self._ip(node, "addr", "add", f"{ip}/{link.prefix}", "dev", ifname)
                self._ip(node, "link", "set", ifname, "up")
        extra: dict[str, list[str]] = {}
        for node, addr in self.extra_hosts.values():
            if addr not in extra.setdefault(node, []):
                extra[node].append(addr)
        for node, addrs in self._loopback_addresses().items():
            for addr in addrs:
                self._ip(node, "addr", "add", f"{addr}/32", "dev", "lo")
        for node, addrs in extra.items():
            for addr in addrs:
                if addr not in self._loopback_addresses().get(node, []):
                    self._ip(node, "addr", "add", f"{addr}/32", "dev", "lo")
        self._apply_routes()

    @staticmethod
    def _loopback_addresses() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for node, addr in [*HOSTS.values(), *RESOLVERS.values()]:
            if addr == GATEWAY:
                continue
            out.setdefault(node, [])
            if addr not in out[node]:
                out[node].append(addr)
        for node, addrs in EXTRA_ADDRESSES.items():
            out.setdefault(node, []).extend(addrs)
        return out

    def _apply_routes(self) -> None:
        for node, routes in ROUTES.items():
            for dst, via in routes:
                self._ip(node, "route", "replace", dst, "via", via)

    def _make_pki(self) -> None:
        from tests.support import pki

        pki_dir = self.workdir / "pki"
        pki_dir.mkdir(exist_ok=True)
        ca = pki.make_ca(pki_dir)
        ca_path = Path(getattr(ca, "cert_file", "") or getattr(ca, "cert_path", "") or "")
        if ca_path and ca_path.resolve() != Path(self.ca_file).resolve():
            shutil.copyfile(ca_path, self.ca_file)
        self._ca = ca
        self._certs: dict[str, tuple[str, str]] = {}
        for node in ("home", "russia"):
            names = [h for h, (n, _) in HOSTS.items() if n == node]
            ips = [ip for h, (n, ip) in HOSTS.items() if n == node]
            cert_dir = pki_dir / node
            cert_dir.mkdir(exist_ok=True)
            cert, key = ca.issue(cert_dir, names, ips)
            self._certs[node] = (str(cert), str(key))
        # a second CA, unknown to the agent: the inspection box's
        box = pki.make_ca(pki_dir / "box", common_name=INTERCEPT_CA)
        cert, key = box.issue(pki_dir / "box" / "leaf", list(HOSTS), [])
        self._certs["box"] = (str(cert), str(key))

    # ---------------------------------------------------------------- servers

    def _zone(self) -> dict[str, Any]:
        zone = {name: [addr] for name, (_, addr) in HOSTS.items()}
        zone.update({name: [addr] for name, (_, addr) in self.extra_hosts.items()})
        return zone

    def issue_cert(self, names: Sequence[str], ips: Sequence[str] = ()) -> tuple[str, str]:
        """A certificate of the lab's CA for a server a test runs itself: (cert, key) paths."""
        n = len(list((self.workdir / "pki").glob("extra-*")))
        cert_dir = self.workdir / "pki" / f"extra-{n}"
        cert_dir.mkdir(parents=True, exist_ok=True)
        cert, key = self._ca.issue(cert_dir, list(names), list(ips))
        return str(cert), str(key)

    def _start_servers(self) -> None:
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        zone = data / "zone.json"
        zone.write_text(json.dumps(self._zone(), indent=1))
        logs = self.workdir / "logs"
        logs.mkdir(exist_ok=True)
        for name, (node, addr) in RESOLVERS.items():
            mode = data / f"dns-{name}.json"
            self._modes[f"dns:{name}"] = mode
            self._write_json(mode, {"mode": "normal"})
            argv = ["python", "-m", "tests.support.dnsserver", "--listen", f"{addr}:53"]
            argv += ["--mode-file", str(mode)]
            if name == "system":
                argv += ["--forward", f"{RESOLVERS['home_public'][1]}:53"]
            else:
                argv += ["--zone", str(zone)]
            self._start_server(f"dns-{name}", node, argv)
        liar_zone = data / "zone-liar.json"
        liar_zone.write_text(json.dumps({h: [LIE_ADDRESS] for h in OZON_HOSTS}, indent=1))
        argv = ["python", "-m", "tests.support.dnsserver", "--listen", f"{GATEWAY}:{LIAR_PORT}"]
        argv += ["--zone", str(liar_zone), "--forward", f"{RESOLVERS['home_public'][1]}:53"]
        self._start_server("dns-liar", "router", argv)
        cdn_zone = data / "zone-cdn.json"
        cdn_zone.write_text(json.dumps({h: [CDN_ADDRESS] for h in OZON_HOSTS}, indent=1))
        argv = ["python", "-m", "tests.support.dnsserver", "--listen", f"{GATEWAY}:{CDN_PORT}"]
        argv += ["--zone", str(cdn_zone), "--forward", f"{RESOLVERS['home_public'][1]}:53"]
        self._start_server("dns-cdn", "router", argv)
        cert, key = self._certs["box"]
        argv = [
            "python",
            "-m",
            "tests.support.webserver",
            "--listen",
            f"{GATEWAY}:{INTERCEPT_PORT}",
        ]
        self._start_server("tls-box", "router", [*argv, "--cert", cert, "--key", key])
        for node in ("home", "russia"):
            mode = data / f"web-{node}.json"
            self._modes[f"web:{node}"] = mode
            self._write_json(mode, HEALTHY_WEB[node])
            addrs = sorted({ip for _, (n, ip) in HOSTS.items() if n == node})
            if node == "home":
                addrs.append(LIE_ADDRESS)
            if node == "russia":
                addrs.append(CDN_ADDRESS)
            argv = ["python", "-m", "tests.support.webserver"]
            for addr in addrs:
                argv += ["--listen", f"{addr}:443", "--plain-listen", f"{addr}:80"]
            cert, key = self._certs[node]
            argv += ["--cert", cert, "--key", key, "--mode-file", str(mode)]
            self._start_server(f"web-{node}", node, argv)

    def _start_server(self, name: str, node: str, argv: list[str]) -> None:
        log = open(self.workdir / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - kept by Popen
        try:
            self._servers[name] = self.spawn(node, argv, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()

    def server_log(self, name: str) -> str:
        path = self.workdir / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _write_json(self, path: Path, data: Any) -> None:
        """Atomic write with a strictly newer mtime, so a mode file change is always seen."""
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        now = max(time.time_ns(), self._last_mtime_ns + 1_000_000)
        self._last_mtime_ns = now
        os.utime(tmp, ns=(now, now))
        os.replace(tmp, path)

    def _read_mode(self, key: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self._modes[key].read_text())
        return data

    def set_web(self, host: str, behaviour: dict[str, Any]) -> None:
        """Set the web behaviour of one virtual host (a webserver mode-file entry)."""
        node = HOSTS[host][0]
        modes = self._read_mode(f"web:{node}")
        modes[host] = dict(behaviour)
        self._write_json(self._modes[f"web:{node}"], modes)

    def set_dns(self, resolver: str, mode: dict[str, Any]) -> None:
        """Set a resolver's mode (a dnsserver mode-file object); resolver is a RESOLVERS key."""
        self._write_json(self._modes[f"dns:{resolver}"], dict(mode))

    # ---------------------------------------------------------------- health

    def health_checks(self) -> list[dict[str, Any]]:
        checks: list[dict[str, Any]] = [{"kind": "ping", "host": GATEWAY, "count": 1}]
        for name in RESOLVERS:
            server = "system" if name == "system" else RESOLVERS[name][1]
            checks.append({"kind": "dns", "name": "seller.ozon.ru", "server": server})
        for ip in sorted({ip for _, ip in HOSTS.values()}):
            checks.append({"kind": "tcp", "host": ip, "port": 443})
        for host in ("www.baidu.lab", "ya.ru", "api-seller.ozon.ru"):
            checks.append(
                {"kind": "https", "url": f"https://{host}/", "ip": HOSTS[host][1], "read": 0}
            )
        return [{"timeout": 1.0, **c} for c in checks]

    def unhealthy(self) -> list[dict[str, Any]]:
        """The failing health checks (empty list: healthy)."""
        return [r for r in self.probe(self.health_checks()) if not r.get("ok")]

    def wait_healthy(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        failing: list[dict[str, Any]] = []
        while True:
            dead = [n for n, p in self._servers.items() if p.poll() is not None]
            if dead:
                logs = "\n".join(f"--- {n}\n{self.server_log(n)[-2000:]}" for n in dead)
                raise LabError(f"lab servers exited: {', '.join(dead)}\n{logs}")
            failing = self.unhealthy()
            if not failing:
                return
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        summary = "; ".join(
            f"{r['check']['kind']} {r['check'].get('host') or r['check'].get('name') or ''}"
            f" {r['check'].get('url', '')}: {r.get('error')} {r.get('detail', '')}"
            for r in failing
        )
        raise LabError(f"lab not healthy after {timeout}s: {summary}")

    # ---------------------------------------------------------------- faults

    def inject(self, name: str, **params: Any) -> None:
        """Inject one fault (see FAULTS); faults stack until `clear()`."""
        method: Callable[..., None] | None = getattr(self, f"_fault_{name}", None)
        if name not in FAULTS or method is None:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        method(**params)
        self.active.append(name)

    def clear(self, wait: bool = True) -> None:
        """Remove every fault: links up, routes back, no filters or shapers, servers healthy."""
        for p in self._fault_procs:
            self.stop(p)
        self._fault_procs.clear()
        for link in LINKS:
            self._ip(link.a, "link", "set", link.a_if, "up")
            self._ip(link.b, "link", "set", link.b_if, "up")
        if shutil.which("iptables"):
            _run(["ip", "netns", "exec", self.ns("isp"), "iptables", "-F", "FORWARD"], check=False)
        for node in NODES:
            _run(["ip", "netns", "exec", self.ns(node), "nft", "flush", "table", "inet", NFT_TABLE])
            if node == "router":
                _run(
                    ["ip", "netns", "exec", self.ns(node), "nft", "flush", "table", "ip", NFT_TABLE]
                )
            for link in LINKS:
                for n, ifname in ((link.a, link.a_if), (link.b, link.b_if)):
                    if n == node:
                        self._ip(node, "neigh", "flush", "dev", ifname, check=False)
        for node, ifname in self._shaped:
            _run(
                ["ip", "netns", "exec", self.ns(node), "tc", "qdisc", "del", "dev", ifname, "root"],
                check=False,
            )
        self._shaped.clear()
        self._apply_routes()
        for name in RESOLVERS:
            self.set_dns(name, {"mode": "normal"})
        for node, modes in HEALTHY_WEB.items():
            self._write_json(self._modes[f"web:{node}"], copy.deepcopy(modes))
        self.active.clear()
        if wait:
            self.wait_healthy(timeout=20)

    def _link_down(self, node: str, ifname: str) -> None:
        self._ip(node, "link", "set", ifname, "down")

    def _drop_random(self, node: str, ifname: str, percent: int) -> None:
        drop = f"numgen random mod 100 < {int(percent)} drop"
        self._nft(
            node,
            f"add rule inet {NFT_TABLE} f_pre iifname {ifname} {drop}\n"
            f"add rule inet {NFT_TABLE} f_post oifname {ifname} {drop}\n",
        )

    def _shape(self, node: str, ifname: str, rate: str, latency: str = "400ms") -> None:
        _run(
            [
                "ip",
                "netns",
                "exec",
                self.ns(node),
                "tc",
                "qdisc",
                "replace",
                "dev",
                ifname,
                "root",
                "tbf",
                "rate",
                rate,
                "burst",
                "16kb",
                "latency",
                latency,
            ],
        )
        self._shaped.append((node, ifname))

    def _fault_office_link_down(self) -> None:
        self._link_down("router", LINK["lan"].b_if)

    def _fault_office_lossy(self, percent: int = 20) -> None:
        self._drop_random("router", LINK["lan"].b_if, percent)

    def _fault_gateway_dead(self) -> None:
        lan = LINK["lan"].b_if
        self._nft(
            "router",
            f"add rule inet {NFT_TABLE} f_in iifname {lan} drop\n"
            f"add rule inet {NFT_TABLE} f_fwd iifname {lan} drop\n",
        )

    def _fault_isp_uplink_down(self) -> None:
        self._link_down("isp", LINK["uplink"].b_if)

    def _fault_uplink_saturated(self, rate: str = "2mbit", settle: float = 1.5) -> None:
        link = LINK["uplink"]
        self._shape(link.a, link.a_if, rate)
        self._shape(link.b, link.b_if, rate)
        ip = HOSTS["bulk.cn.lab"][1]
        self._fault_procs.append(
            self.spawn(
                "office",
                [
                    "python",
                    "-m",
                    "tests.lab.probe",
                    "--flood",
                    "https://bulk.cn.lab/",
                    ip,
                    self.ca_file,
                    "900",
                ],
            )
        )
        time.sleep(settle)

    def _fault_intl_link_down(self) -> None:
        self._link_down("russia", LINK["intl"].b_if)

    def _fault_intl_lossy(self, percent: int = 30) -> None:
        self._drop_random("home", LINK["intl"].a_if, percent)

    def _fault_intl_rate_limited(self, rate: str = "512kbit") -> None:
        link = LINK["intl"]
        self._shape(link.a, link.a_if, rate)
        self._shape(link.b, link.b_if, rate)

    def _fault_system_dns_down(self) -> None:
        self.set_dns("system", {"mode": "silent"})

    def _fault_system_dns_servfail(self) -> None:
        self.set_dns("system", {"mode": "servfail"})

    def _fault_system_dns_lying(self) -> None:
        # The router's liar (zone: Ozon names -> LIE_ADDRESS, the rest forwarded) takes over
        # port 53 for the LAN. New flows only: DNS clients use a new source port per query.
        self._nft(
            "router",
            f"add rule ip {NFT_TABLE} nat_pre iifname {LINK['lan'].b_if} ip daddr {GATEWAY} "
            f"meta l4proto {{ tcp, udp }} th dport 53 redirect to :{LIAR_PORT}\n",
        )

    def _fault_cdn_other_network(self) -> None:
        # as system_dns_lying, but the answer is honest: another network, the right certificate
        self._nft(
            "router",
            f"add rule ip {NFT_TABLE} nat_pre iifname {LINK['lan'].b_if} ip daddr {GATEWAY} "
            f"meta l4proto {{ tcp, udp }} th dport 53 redirect to :{CDN_PORT}\n",
        )

    def _fault_dns_udp_rewritten(self) -> None:
        # a transparent proxy: UDP port 53 to any address, from the LAN, lands on the liar
        # (its answers leave with the asked resolver's address: conntrack undoes the
        # redirect); TCP is left alone, as most such proxies leave it
        self._nft(
            "router",
            f"add rule ip {NFT_TABLE} nat_pre iifname {LINK['lan'].b_if} "
            f"udp dport 53 redirect to :{LIAR_PORT}\n",
        )

    def _fault_tls_intercepted(self) -> None:
        # an inspection box: every TLS connection from the LAN, to any address, is answered
        # by the router with a certificate for the name asked, signed by its own CA
        self._nft(
            "router",
            f"add rule ip {NFT_TABLE} nat_pre iifname {LINK['lan'].b_if} "
            f"tcp dport 443 redirect to :{INTERCEPT_PORT}\n",
        )

    def _fault_all_dns_down(self) -> None:
        for name in RESOLVERS:
            self.set_dns(name, {"mode": "silent"})

    def _fault_ozon_down(self) -> None:
        self._nft(
            "russia",
            f"add rule inet {NFT_TABLE} f_in ip daddr {OZON_NET} meta l4proto tcp "
            "reject with tcp reset\n",
        )

    def _fault_ozon_blackholed(self) -> None:
        self._nft(
            "russia",
            f"add rule inet {NFT_TABLE} f_in ip daddr {OZON_NET} drop\n"
            f"add rule inet {NFT_TABLE} f_out ip saddr {OZON_NET} drop\n",
        )

    def _fault_seller_api_5xx(self, status: int = 503) -> None:
        self.set_web("api-seller.ozon.ru", {"behaviour": "status", "status": status})

    def _fault_login_hangs(self) -> None:
        self.set_web("id.ozon.ru", {"behaviour": "hang"})

    def _fault_sni_dropped(self) -> None:
        # the DPI drops the ClientHello and everything after it in that connection: the
        # handshake is met by silence, not a reset
        self._match_sni(["DROP"])

    def _fault_sni_filtered(self) -> None:
        self._match_sni(["REJECT", "--reject-with", "tcp-reset"])

    def _match_sni(self, verdict: list[str]) -> None:
        # nftables cannot search a payload for a string; iptables' xt_string can (through
        # iptables-nft it lands in the namespace's own `ip filter` table, flushed by clear())
        for name in SNI_FILTERED:
            self._isp_filter("-m", "string", "--string", name, "--algo", "bm", "-j", *verdict)

    def _isp_filter(self, *rule: str) -> None:
        """An iptables rule on what the ISP forwards to TCP port 443 (its `ip filter` table is
        the namespace's own, flushed by clear())."""
        _run(
            ["ip", "netns", "exec", self.ns("isp"), "iptables", "-A", "FORWARD",
             "-p", "tcp", "--dport", "443", *rule]
        )  # fmt: skip

    def _fault_reset_on_the_way(self) -> None:
        # a provider's filter that blocks Ozon's addresses, whatever the name: it lets the
        # TCP handshake through and answers the first bytes of data (the ClientHello) with a
        # reset of its own, sent from the ISP, two hops nearer than Ozon
        self._isp_filter(
            "-d", OZON_NET, "-m", "length", "--length", "100:65535",
            "-j", "REJECT", "--reject-with", "tcp-reset",
        )  # fmt: skip

    def _fault_transfer_frozen(self, kb: int = FROZEN_AFTER // 1024) -> None:
        # the Russian "16 KB freeze": a box that lets a TLS connection carry so many bytes
        # from the server and silently drops the rest (conntrack counts them: acct on)
        acct = "net.netfilter.nf_conntrack_acct=1"
        _run(["ip", "netns", "exec", self.ns("isp"), "sysctl", "-qw", acct])
        for host in HOSTS:
            if host != "api-seller.ozon.ru" and not host.startswith("bulk."):
                self.set_web(host, {"behaviour": "big", "size": FROZEN_PAGE})
        self._nft(
            "isp",
            f"add rule inet {NFT_TABLE} f_fwd tcp sport 443 ct reply bytes > {kb * 1024} drop\n",
        )

    def _fault_ozon_slow(self, delay: float = 3.0) -> None:
        # api-seller.ozon.ru keeps its 401: the webserver's "slow" answers 200, which would
        # make the Seller API look broken rather than slow.
        for host in OZON_HOSTS:
            if host != "api-seller.ozon.ru":
                self.set_web(host, {"behaviour": "slow", "delay": delay})

    # ---------------------------------------------------------------- agent config

    def agent_config(self, **overrides: Any) -> dict[str, Any]:
        """The agent's config for this lab as a dict (the template with the CA filled in)."""
        text = TEMPLATE.read_text().replace("@LAB_CA_FILE@", self.ca_file)
        config: dict[str, Any] = yaml.safe_load(text)
        return _merge(config, overrides)

    def write_agent_config(self, path: str | Path, **overrides: Any) -> Path:
        """Write the agent's YAML config for this lab; overrides replace top-level keys
        (dictionaries are merged key by key, lists replaced)."""
        path = Path(path)
        path.write_text(yaml.safe_dump(self.agent_config(**overrides), sort_keys=False))
        return path


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def kill_namespace(ns: str) -> None:
    """Kill every process inside namespace `ns`, delete it and its /etc/netns directory."""
    pids = _run(["ip", "netns", "pids", ns], check=False).split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    deadline = time.monotonic() + 3
    while pids and time.monotonic() < deadline:
        pids = _run(["ip", "netns", "pids", ns], check=False).split()
        if pids:
            time.sleep(0.05)
    _run(["ip", "netns", "del", ns], check=False)
    shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)
