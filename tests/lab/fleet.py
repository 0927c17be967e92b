"""Several offices and a centre, in network namespaces: the fleet lab (docs/fleet.md).

Usage (root, like tests/lab/lab.py; nothing leaves the namespaces this module creates)::

    from tests.lab.fleet import Fleet
    with Fleet(sites=[("shenzhen", "CN"), ("yiwu", "CN"), ("guangzhou", "CN")]) as fleet:
        fleet.labs[0]                    # a whole tests.lab.lab.Lab per office (its own world)
        fleet.start_offices()            # agent + Prometheus agent (deploy/office) in each
        fleet.query('count(up)')         # instant query against VictoriaMetrics at the centre
        fleet.cut_centre(1) / fleet.restore_centre(1)   # office 1's path to the centre
        fleet.alerts()                   # what reached the centre's webhook (JSON lines)

Each office is a complete Lab (office, router, isp, home, russia), so faults are injected as
in the single-office lab: `fleet.labs[i].inject("ozon_down")`. The centre is one more
namespace (ozp-<pid>-fleet<n>-centre) joined to every office's ISP by its own veth pair::

    lab i: ... router --uplink-- isp ==centre<i>== centre 198.18.99.10 (VictoriaMetrics :8428)
                                 198.18.(100+i).2    198.18.(100+i).1

Every lab uses the same address plan, so the ISP masquerades office traffic to the centre
behind its own link address: the centre then sees office i as 198.18.(100+i).2 and replies on
the right link. `cut_centre(i)` drops, in office i's ISP, every packet to or from the centre
(an nftables table of this module, `ozpfleet`, which Lab.clear() leaves alone); the ISP's
uplink fault (`isp_uplink_down`) cuts the centre off too, as it would for real.

The centre runs `python -m tests.lab.fleet centre` inside its namespace: VictoriaMetrics on
198.18.99.10:8428 (basic auth, as deploy/central ships it), vmalert with a temporary copy of
deploy/central/fleet-rules.yml (`for:` and the 2m "still reporting" window shortened),
Alertmanager with the shipped routes and inhibitions (receivers swapped for a webhook), and
the webhook receiver, which appends every notification to a JSON-lines file; the test reads
that file and queries VictoriaMetrics through `ip netns exec` (`python -m tests.lab.fleet
query`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tests.lab.lab import NS_PREFIX, REPO, Lab, _run, kill_namespace

CENTRE_IP = "198.18.99.10"
VM_PORT = 8428
VM_URL = f"http://{CENTRE_IP}:{VM_PORT}"
USER = "ozon-probe"
PASSWORD = "lab-fleet-password"  # a test password for the lab's own VictoriaMetrics
FLEET_TABLE = "ozpfleet"
AGENT = "127.0.0.1:10043"
PROM_AGENT = "127.0.0.1:10044"
OFFICE_CONFIG = REPO / "deploy" / "office" / "prometheus-agent.yml"
FLEET_RULES = REPO / "deploy" / "central" / "fleet-rules.yml"
CENTRE_JSON = "centre.json"
WEBHOOK_JSONL = "webhook.jsonl"
PROMETHEUS_BIN = shutil.which("prometheus") or "/usr/bin/prometheus"
VM_BIN = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
VMALERT_BIN = shutil.which("vmalert") or "/usr/bin/vmalert"

_instance = itertools.count()


def fleet_available() -> str | None:
    """None when the fleet lab can run here, else why not (for pytest.skip)."""
    from tests.lab.lab import lab_available

    why = lab_available()
    if why:
        return why
    for path in (PROMETHEUS_BIN, VM_BIN, VMALERT_BIN):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (Debian packages prometheus, victoria-metrics)"
    return None


def centre_link(i: int) -> tuple[str, str]:
    """(centre side, ISP side) addresses of office i's link to the centre."""
    return f"198.18.{100 + i}.1", f"198.18.{100 + i}.2"


def rules_for_test(
    rules: Path = FLEET_RULES, durations: dict[str, str] | None = None, window: str = "2m"
) -> str:
    """The fleet rules with each alert's `for:` replaced from `durations` (alert name ->
    duration) and the 2m "still reporting" window replaced by `window`: a test cannot wait
    minutes. The shipped file is untouched."""
    doc = yaml.safe_load(rules.read_text())
    for group in doc["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            if "alert" in rule and durations and rule["alert"] in durations:
                rule["for"] = durations[rule["alert"]]
            rule["expr"] = rule["expr"].replace("[2m]", f"[{window}]")
    return str(yaml.safe_dump(doc, sort_keys=False, width=1000, allow_unicode=True))


def office_config(
    password_file: Path,
    scrape_interval: str = "1s",
    config: Path = OFFICE_CONFIG,
    quick_retries: bool = True,
) -> str:
    """The shipped office Prometheus agent config, pointed at the lab's centre, with a short
    scrape interval and (quick_retries) quick retries and sends: a test cannot wait for the
    shipped 30 s backoff. bench/fleet.py keeps the shipped queue settings."""
    doc = yaml.safe_load(config.read_text())
    doc["global"] = {"scrape_interval": scrape_interval, "scrape_timeout": scrape_interval}
    for job in doc["scrape_configs"]:
        for sd in job.get("http_sd_configs", []):
            sd["refresh_interval"] = "5s"
    (rw,) = doc["remote_write"]
    rw["url"] = f"{VM_URL}/api/v1/write"
    rw["basic_auth"]["password_file"] = str(password_file)
    if not quick_retries:
        return str(yaml.safe_dump(doc, sort_keys=False))
    rw["remote_timeout"] = "2s"
    rw["queue_config"].update({"min_backoff": "100ms", "max_backoff": "1s"})
    rw["queue_config"]["batch_send_deadline"] = "1s"
    return str(yaml.safe_dump(doc, sort_keys=False))


def http_json(url: str, timeout: float = 10.0, auth: bool = True) -> Any:
    req = urllib.request.Request(url)
    if auth:
        token = b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode())
    except urllib.error.HTTPError as err:
        return {"status": "error", "error": f"HTTP {err.code}: {err.read()[:300]!r}"}


def vm_query(expr: str, at: float | None = None, url: str = VM_URL) -> dict[str, Any]:
    params = {"query": expr}
    if at is not None:
        params["time"] = f"{at:.3f}"
    return dict(http_json(f"{url}/api/v1/query?{urllib.parse.urlencode(params)}"))


class Fleet:
    """Offices (a Lab each) and a centre; see the module docstring."""

    def __init__(
        self,
        sites: Sequence[tuple[str, str]] = (
            ("shenzhen", "CN"),
            ("yiwu", "CN"),
            ("guangzhou", "CN"),
        ),
        workdir: Path | None = None,
        durations: dict[str, str] | None = None,
        window: str = "15s",
        scrape_interval: str = "1s",
        quick_retries: bool = True,
    ) -> None:
        self.sites = list(sites)
        self.quick_retries = quick_retries
        self.durations = durations or {}
        self.window = window
        self.scrape_interval = scrape_interval
        n = next(_instance)
        self.centre_ns = f"{NS_PREFIX}{os.getpid()}-fleet{n}-centre"
        self._own_workdir = workdir is None
        # named like a Lab's work directory, so tests.lab.cleanup removes it after a crash
        self.workdir = Path(
            workdir or tempfile.mkdtemp(prefix=f"{NS_PREFIX}{os.getpid()}-fleet-lab-")
        )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.centre_dir = self.workdir / "centre"
        self.labs: list[Lab] = []
        self.agents: list[subprocess.Popen[Any]] = []
        self.prom_agents: list[subprocess.Popen[Any]] = []
        self.centre: subprocess.Popen[Any] | None = None
        self._ns_created = False
        self._logs: list[Any] = []
        self._closed = False
        self.info: dict[str, str] = {}

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> Fleet:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        for i in range(len(self.sites)):
            lab = Lab(workdir=self.workdir / f"office{i}")
            self.labs.append(lab)  # before start(): close() must tear down a half-built lab
            lab.start()
        self._build_centre()
        self._start_centre()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.centre is not None and self.centre.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.centre.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.centre.wait(timeout=15)
        for lab in self.labs:
            lab.close()
        if self._ns_created:
            kill_namespace(self.centre_ns)
        for fh in self._logs:
            fh.close()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # ---------------------------------------------------------------- centre

    def _centre(self, *argv: str, input: str | None = None) -> str:
        return _run(["ip", "netns", "exec", self.centre_ns, *argv], input=input)

    def _build_centre(self) -> None:
        ns = self.centre_ns
        _run(["ip", "netns", "add", ns])
        self._ns_created = True
        self._centre("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
        _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        _run(["ip", "-n", ns, "addr", "add", f"{CENTRE_IP}/32", "dev", "lo"])
        for i, lab in enumerate(self.labs):
            mine, theirs = centre_link(i)
            isp = lab.ns("isp")
            peer = ["peer", "name", "centre0", "netns", isp]
            _run(["ip", "-n", ns, "link", "add", f"office{i}", "type", "veth", *peer])
            _run(["ip", "-n", ns, "addr", "add", f"{mine}/24", "dev", f"office{i}"])
            _run(["ip", "-n", ns, "link", "set", f"office{i}", "up"])
            _run(["ip", "-n", isp, "addr", "add", f"{theirs}/24", "dev", "centre0"])
            _run(["ip", "-n", isp, "link", "set", "centre0", "up"])
            _run(["ip", "-n", isp, "route", "replace", f"{CENTRE_IP}/32", "via", mine])
            # the same office address in every lab: hide it behind this ISP's link address
            _run(
                ["ip", "netns", "exec", isp, "nft", "-f", "-"],
                input=f"add table ip {FLEET_TABLE}\n"
                f"add chain ip {FLEET_TABLE} nat_post "
                "{ type nat hook postrouting priority 100; policy accept; }\n"
                f"add rule ip {FLEET_TABLE} nat_post oifname centre0 masquerade\n"
                f"add chain ip {FLEET_TABLE} cut "
                "{ type filter hook forward priority -10; policy accept; }\n",
            )

    def _start_centre(self) -> None:
        self.centre_dir.mkdir(parents=True, exist_ok=True)
        rules = self.centre_dir / "fleet-rules.yml"
        rules.write_text(rules_for_test(durations=self.durations, window=self.window))
        log = self._log("centre.log")
        argv = [sys.executable, "-m", "tests.lab.fleet", "centre", "--workdir"]
        argv += [str(self.centre_dir), "--rules", str(rules)]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.centre = subprocess.Popen(
            ["ip", "netns", "exec", self.centre_ns, *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=str(REPO),
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while not (self.centre_dir / CENTRE_JSON).exists():
            if self.centre.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the centre did not start:\n{self.logs()}")
            time.sleep(0.2)
        self.info = json.loads((self.centre_dir / CENTRE_JSON).read_text())

    def _log(self, name: str) -> Any:
        fh = open(self.workdir / name, "wb")  # noqa: SIM115 - closed in close()
        self._logs.append(fh)
        return fh

    def logs(self, lines: int = 25) -> str:
        out = []
        names = ["centre.log", *(f"office{i}-{w}.log" for i in range(len(self.sites))
                                 for w in ("agent", "prometheus"))]  # fmt: skip
        names += ["centre/vm.log", "centre/vmalert.log", "centre/alertmanager/alertmanager.log"]
        for name in names:
            path = self.workdir / name
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {name}\n" + "\n".join(tail))
        return "\n".join(out)

    # ---------------------------------------------------------------- offices

    def start_offices(self) -> None:
        """Start the agent (site name and country from `sites`) and the Prometheus agent
        (deploy/office/prometheus-agent.yml) in every office."""
        for i, (lab, (name, country)) in enumerate(zip(self.labs, self.sites, strict=True)):
            d = self.workdir / f"office{i}"
            config = lab.write_agent_config(
                d / "agent.yaml",
                site={"name": name, "country": country},
                diagnosis={"slow_first_byte": "1s"},
            )
            log = self._log(f"office{i}-agent.log")
            argv = ["python", "-m", "agent", "run", "-c", str(config)]
            self.agents.append(lab.spawn("office", argv, stdout=log, stderr=log))
            password = d / "fleet-password"
            password.write_text(PASSWORD + "\n")
            password.chmod(0o600)
            prom_config = d / "prometheus-agent.yml"
            prom_config.write_text(
                office_config(password, self.scrape_interval, quick_retries=self.quick_retries)
            )
            log = self._log(f"office{i}-prometheus.log")
            argv = [
                PROMETHEUS_BIN,
                "--enable-feature=agent",
                f"--config.file={prom_config}",
                f"--storage.agent.path={d / 'wal'}",
                f"--web.listen-address={PROM_AGENT}",
                "--log.level=info",
            ]
            self.prom_agents.append(lab.spawn("office", argv, stdout=log, stderr=log))

    def check_alive(self) -> None:
        procs = [("centre", self.centre)]
        procs += [(f"office{i} agent", p) for i, p in enumerate(self.agents)]
        procs += [(f"office{i} prometheus", p) for i, p in enumerate(self.prom_agents)]
        for name, proc in procs:
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"{name} exited ({proc.returncode}):\n{self.logs()}")

    def office_metrics(self, i: int) -> str:
        """The office Prometheus agent's own /metrics (fetched inside the office)."""
        code = (
            "import urllib.request,sys;"
            f"sys.stdout.write(urllib.request.urlopen('http://{PROM_AGENT}/metrics',timeout=5)"
            ".read().decode())"
        )
        r = self.labs[i].exec("office", ["python", "-c", code], timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"office{i} metrics: {r.stderr[-500:]}")
        return str(r.stdout)

    # ---------------------------------------------------------------- faults on the way to the centre

    def cut_centre(self, i: int) -> None:
        """Office i's ISP drops every packet to and from the centre (nothing is refused:
        the office's connections hang, as on a dead line)."""
        _run(
            ["ip", "netns", "exec", self.labs[i].ns("isp"), "nft", "-f", "-"],
            input=f"add rule ip {FLEET_TABLE} cut oifname centre0 drop\n"
            f"add rule ip {FLEET_TABLE} cut iifname centre0 drop\n",
        )

    def restore_centre(self, i: int) -> None:
        _run(
            ["ip", "netns", "exec", self.labs[i].ns("isp"), "nft", "flush", "chain", "ip",
             FLEET_TABLE, "cut"],
        )  # fmt: skip

    # ---------------------------------------------------------------- reading the centre

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query against the centre's VictoriaMetrics; the result list."""
        payload = json.dumps({"expr": expr, "at": at})
        out = self._centre(sys.executable, "-m", "tests.lab.fleet", "query", input=payload)
        ans = json.loads(out)
        if ans.get("status") != "success":
            raise AssertionError(f"{expr}: {ans}")
        return list(ans["data"]["result"])

    def vmalert_alerts(self) -> list[dict[str, Any]]:
        """Alerts vmalert holds now (pending and firing)."""
        payload = json.dumps({"url": self.info["vmalert"] + "/api/v1/alerts"})
        out = self._centre(sys.executable, "-m", "tests.lab.fleet", "get", input=payload)
        return list(json.loads(out)["data"]["alerts"] or [])  # null when there are none

    def notifications(self) -> list[dict[str, Any]]:
        path = self.centre_dir / WEBHOOK_JSONL
        out = []
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:  # being written right now
                    break
        return out

    def alerts(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Every alert of every webhook notification received since `since`."""
        return [
            {**a, "received": n["received"]}
            for n in self.notifications()
            if n["received"] >= since
            for a in n.get("alerts", [])
        ]


# ---------------------------------------------------------------------------------------
# inside the centre's namespace


def _wait_http(url: str, proc: subprocess.Popen[Any], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready in {timeout}s:\n{log.read_text()[-3000:]}")


def serve_centre(workdir: Path, rules: Path) -> int:
    """VictoriaMetrics, vmalert, Alertmanager and a webhook receiver, until SIGTERM."""
    from tests.monitoring.stack import (
        WebhookReceiver,
        alertmanager_test_config,
        free_port,
        start_alertmanager,
    )

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    password = workdir / "fleet-password"
    password.write_text(PASSWORD)
    password.chmod(0o600)
    procs: list[subprocess.Popen[Any]] = []
    try:
        with (
            WebhookReceiver(jsonl=workdir / WEBHOOK_JSONL) as hook,
            start_alertmanager(
                alertmanager_test_config(hook.url), workdir=workdir / "alertmanager"
            ) as am,
        ):
            # the password through the environment, as deploy/central/victoria-metrics.default
            env = {**os.environ, "httpAuth_username": USER, "httpAuth_password": PASSWORD}
            vm_log = workdir / "vm.log"
            with open(vm_log, "wb") as fh:
                vm = subprocess.Popen(
                    [
                        VM_BIN,
                        f"-storageDataPath={workdir / 'vm-data'}",
                        f"-httpListenAddr={CENTRE_IP}:{VM_PORT}",
                        "-envflag.enable",
                        "-search.disableCache",
                        # the shipped 30 s would hold every sample back 30 s in a test of
                        # seconds-long phases
                        "-search.latencyOffset=1s",
                        "-loggerLevel=WARN",
                    ],
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            procs.append(vm)
            _wait_http(VM_URL, vm, vm_log)
            port = free_port()
            vmalert_log = workdir / "vmalert.log"
            auth = [f"-{p}.basicAuth.username={USER}" for p in ("datasource", "remoteWrite")]
            auth += [
                f"-{p}.basicAuth.passwordFile={password}" for p in ("datasource", "remoteWrite")
            ]
            with open(vmalert_log, "wb") as fh:
                vmalert = subprocess.Popen(
                    [
                        VMALERT_BIN,
                        f"-rule={rules}",
                        "-evaluationInterval=1s",
                        f"-datasource.url={VM_URL}",
                        f"-remoteWrite.url={VM_URL}",
                        f"-notifier.url={am.url}",
                        f"-httpListenAddr=127.0.0.1:{port}",
                        "-loggerLevel=WARN",
                        *auth,
                    ],
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                )
            procs.append(vmalert)
            vmalert_url = f"http://127.0.0.1:{port}"
            _wait_http(vmalert_url, vmalert, vmalert_log)
            info = {"vm": VM_URL, "vmalert": vmalert_url, "alertmanager": am.url}
            tmp = workdir / (CENTRE_JSON + ".tmp")
            tmp.write_text(json.dumps(info))
            tmp.replace(workdir / CENTRE_JSON)
            while True:
                for p, log in ((vm, vm_log), (vmalert, vmalert_log)):
                    if p.poll() is not None:
                        print(f"{p.args[0]} exited:\n{log.read_text()[-3000:]}", file=sys.stderr)
                        return 1
                if am.proc.poll() is not None:
                    print(f"alertmanager exited:\n{am.log_tail()}", file=sys.stderr)
                    return 1
                time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.lab.fleet")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("centre")
    c.add_argument("--workdir", required=True, type=Path)
    c.add_argument("--rules", required=True, type=Path)
    sub.add_parser("query", help='stdin: {"expr": ..., "at": null}')
    sub.add_parser("get", help='stdin: {"url": ...}')
    args = parser.parse_args(argv)
    if args.command == "centre":
        return serve_centre(args.workdir, args.rules)
    req = json.load(sys.stdin)
    if args.command == "query":
        print(json.dumps(vm_query(req["expr"], req.get("at"))))
    else:
        if not re.match(r"^http://127\.0\.0\.1:\d+/", req["url"]):
            raise SystemExit(f"not a centre-local URL: {req['url']}")
        print(json.dumps(http_json(req["url"], auth=False)))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
