"""Run the real monitoring stack on loopback for tests: Prometheus with the shipped rules,
Alertmanager with the shipped routes and inhibitions, a webhook receiver, a fake exporter,
and a checker that runs every dashboard query against Prometheus' HTTP API.

Everything binds 127.0.0.1 on a free port, keeps its data in a temporary directory and is
stopped (by the process handle this module started) when its context manager exits.

    from tests.monitoring.stack import (
        FakeExporter, WebhookReceiver, alertmanager_test_config, check_dashboard_queries,
        start_alertmanager, start_prometheus,
    )

    with WebhookReceiver() as hook, \\
         start_alertmanager(alertmanager_test_config(hook.url)) as am, \\
         FakeExporter(text) as exporter, \\
         start_prometheus(exporter.address, alertmanager_url=am.url, for_override="2s") as prom:
        hook.wait_for("OzonPlatformOutage", timeout=30)
        report = check_dashboard_queries(prom.url)
        assert not report.failed

To scrape the real agent instead of FakeExporter, pass its "host:port" as the scrape address.

Shipped rules keep their `for:` durations. `for_override` rewrites `for:` (and
`keep_firing_for:`) of every alert in a temporary copy of rules.yml so that an end-to-end
test does not wait minutes; the shipped file is never touched.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
ALERTMANAGER_CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
ALERTMANAGER_TEMPLATES = ROOT / "deploy" / "alertmanager" / "templates"
DASHBOARDS = ROOT / "grafana" / "dashboards"

PROMETHEUS_BIN = shutil.which("prometheus") or "/usr/bin/prometheus"
ALERTMANAGER_BIN = (
    shutil.which("prometheus-alertmanager")
    or shutil.which("alertmanager")
    or "/usr/bin/prometheus-alertmanager"
)

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def http_get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def _assert_loopback(url_or_addr: str) -> None:
    host = urllib.parse.urlsplit(
        url_or_addr if "//" in url_or_addr else f"//{url_or_addr}"
    ).hostname
    if host not in (LOOPBACK, "localhost", "::1"):
        raise ValueError(f"refusing a non-loopback address in a test stack: {url_or_addr}")


# ---------------------------------------------------------------------------------------
# processes


@dataclass
class _Process:
    name: str
    port: int
    workdir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path
    _own_workdir: bool = True

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"{self.name} not ready within {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def prometheus_query(prometheus_url: str, expr: str, time_: float | None = None) -> dict[str, Any]:
    """Raw /api/v1/query answer (the JSON object), also for errors (status "error")."""
    params = {"query": expr}
    if time_ is not None:
        params["time"] = f"{time_:.3f}"
    url = f"{prometheus_url}/api/v1/query?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return dict(json.loads(resp.read().decode()))
    except urllib.error.HTTPError as err:
        body = err.read().decode(errors="replace")
        try:
            return dict(json.loads(body))
        except json.JSONDecodeError:
            return {"status": "error", "errorType": f"http_{err.code}", "error": body}


class Prometheus(_Process):
    def query(self, expr: str, time_: float | None = None) -> dict[str, Any]:
        """Raw /api/v1/query answer (the JSON object), also for errors (status "error")."""
        return prometheus_query(self.url, expr, time_)

    def alerts(self) -> list[dict[str, Any]]:
        """Alerts Prometheus currently holds (pending and firing)."""
        return list(http_get_json(f"{self.url}/api/v1/alerts")["data"]["alerts"])

    def firing(self) -> set[str]:
        return {a["labels"]["alertname"] for a in self.alerts() if a["state"] == "firing"}

    def wait_for_series(self, expr: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ans = self.query(expr)
            if ans.get("status") == "success" and ans["data"]["result"]:
                return list(ans["data"]["result"])
            time.sleep(0.25)
        raise TimeoutError(f"no data for {expr!r} within {timeout}s:\n{self.log_tail()}")


class Alertmanager(_Process):
    def alerts(self) -> list[dict[str, Any]]:
        return list(http_get_json(f"{self.url}/api/v2/alerts"))

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Push alerts straight to Alertmanager (as Prometheus would)."""
        req = urllib.request.Request(
            f"{self.url}/api/v2/alerts",
            data=json.dumps(alerts).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()


#: `for:` of alerts on `absent(...)` in a shortened copy: Prometheus's discovery hands the
#: first targets to the scraper about 5 s after start while the rules evaluate at once, so
#: absent(up) holds for those seconds (the shipped for: 5m covers them, 2 s does not)
ABSENT_FOR_SECONDS = 10
ABSENT_FOR = f"{ABSENT_FOR_SECONDS}s"


def rules_with_durations(rules: Path = RULES, for_override: str = "2s") -> str:
    """The rules file with every alert's `for:` (and `keep_firing_for:`) set to `for_override`;
    an alert on `absent(...)` waits ABSENT_FOR, past Prometheus's own first scrape."""
    doc = yaml.safe_load(rules.read_text())
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                if "for" in rule:
                    rule["for"] = ABSENT_FOR if "absent(" in rule["expr"] else for_override
                if "keep_firing_for" in rule:
                    rule["keep_firing_for"] = for_override
    return str(yaml.safe_dump(doc, sort_keys=False, width=1000, allow_unicode=True))


def start_prometheus(
    scrape_address: str | Iterable[str],
    *,
    rules: Path | None = RULES,
    alertmanager_url: str | None = None,
    interval: str = "1s",
    job: str = "ozon-probe",
    for_override: str | None = None,
    workdir: Path | None = None,
    extra_args: Iterable[str] = (),
    ready_timeout: float = 30.0,
    allow_non_loopback: bool = False,
) -> Prometheus:
    """Start Prometheus scraping `scrape_address` ("host:port", or several) as job `job`,
    with the shipped rules (or `rules`, None for none), scrape and evaluation every `interval`,
    sending alerts to `alertmanager_url`. Use as a context manager; stop() kills it and removes
    its temporary directory.

    Scrape addresses must be on loopback unless `allow_non_loopback` is set, which is meant
    only for the agent inside a network namespace of the test's own lab."""
    addresses = [scrape_address] if isinstance(scrape_address, str) else list(scrape_address)
    for a in addresses:
        if not allow_non_loopback:
            _assert_loopback(a)
    if alertmanager_url:
        _assert_loopback(alertmanager_url)
    own = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="ozp-prometheus-")) if workdir is None else workdir
    wd.mkdir(parents=True, exist_ok=True)
    rule_files: list[str] = []
    if rules is not None:
        target = wd / "rules.yml"
        if for_override is not None:
            target.write_text(rules_with_durations(rules, for_override))
        else:
            shutil.copyfile(rules, target)
        rule_files.append(str(target))
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": interval,
            "evaluation_interval": interval,
            "scrape_timeout": interval,
        },
        "rule_files": rule_files,
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": addresses}]},
        ],
    }
    if alertmanager_url:
        am = urllib.parse.urlsplit(alertmanager_url)
        config["alerting"] = {
            "alertmanagers": [
                {"scheme": am.scheme or "http", "static_configs": [{"targets": [am.netloc]}]}
            ]
        }
    (wd / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    log = wd / "prometheus.log"
    cmd = [
        PROMETHEUS_BIN,
        f"--config.file={wd / 'prometheus.yml'}",
        f"--storage.tsdb.path={wd / 'data'}",
        f"--web.listen-address={LOOPBACK}:{port}",
        "--rules.alert.resend-delay=1s",
        "--log.level=info",
        *extra_args,
    ]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=wd)
    p = Prometheus("prometheus", port, wd, proc, log, own)
    p.wait_ready(ready_timeout)
    return p


def alertmanager_test_config(
    webhook_url: str,
    *,
    base: Path = ALERTMANAGER_CONFIG,
    group_wait: str = "1s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
) -> dict[str, Any]:
    """The shipped Alertmanager config with its routes and inhibit rules intact, but every
    receiver replaced by a webhook to `webhook_url` and the timings shortened."""
    _assert_loopback(webhook_url)
    cfg = copy.deepcopy(yaml.safe_load(base.read_text()))
    cfg["receivers"] = [
        {"name": r["name"], "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}
        for r in cfg["receivers"]
    ]
    cfg["templates"] = [str(ALERTMANAGER_TEMPLATES / "*.tmpl")]
    cfg.pop("global", None)  # mail server settings are of no use here

    def fast(route: dict[str, Any], top: bool) -> None:
        for key, value in (
            ("group_wait", group_wait),
            ("group_interval", group_interval),
            ("repeat_interval", repeat_interval),
        ):
            if top or key in route:
                route[key] = value
        for child in route.get("routes", []):
            fast(child, False)

    fast(cfg["route"], True)
    return dict(cfg)


def start_alertmanager(
    config: dict[str, Any] | Path,
    *,
    workdir: Path | None = None,
    extra_args: Iterable[str] = (),
    ready_timeout: float = 30.0,
) -> Alertmanager:
    """Start Alertmanager with `config` (a dict, e.g. from alertmanager_test_config, or a
    file), clustering off, on a free loopback port. Use as a context manager."""
    own = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="ozp-alertmanager-")) if workdir is None else workdir
    wd.mkdir(parents=True, exist_ok=True)
    cfg_path = wd / "alertmanager.yml"
    if isinstance(config, Path):
        shutil.copyfile(config, cfg_path)
    else:
        cfg_path.write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    log = wd / "alertmanager.log"
    cmd = [
        ALERTMANAGER_BIN,
        f"--config.file={cfg_path}",
        f"--storage.path={wd / 'data'}",
        f"--web.listen-address={LOOPBACK}:{port}",
        "--cluster.listen-address=",
        "--log.level=info",
        *extra_args,
    ]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=wd)
    a = Alertmanager("alertmanager", port, wd, proc, log, own)
    a.wait_ready(ready_timeout)
    return a


# ---------------------------------------------------------------------------------------
# in-process HTTP helpers


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class WebhookReceiver(_Server):
    """Collects Alertmanager webhook notifications (POST, any path). With `jsonl`, each
    notification is also appended to that file as one JSON line, with the time it arrived
    (`"received"`, Unix seconds) added, for a reader in another process."""

    def __init__(self, jsonl: Path | None = None) -> None:
        self.notifications: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self.jsonl = jsonl

        class Handler(_QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                owner: WebhookReceiver = self.server.owner  # type: ignore[attr-defined]
                with owner._cond:
                    owner.notifications.append(body)
                    if owner.jsonl is not None:
                        line = json.dumps({"received": time.time(), **body}) + "\n"
                        with open(owner.jsonl, "a", encoding="utf-8") as fh:
                            fh.write(line)
                    owner._cond.notify_all()
                self.send_response(200)
                self.end_headers()

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"http://{self.address}/alerts"

    def alerts(self, status: str | None = None) -> list[dict[str, Any]]:
        """Every alert received so far (optionally only "firing" or "resolved")."""
        with self._cond:
            return [
                a
                for n in self.notifications
                for a in n.get("alerts", [])
                if status is None or a.get("status") == status
            ]

    def alert_names(self, status: str | None = "firing") -> set[str]:
        return {a["labels"].get("alertname", "") for a in self.alerts(status)}

    def wait_for(
        self, alertname: str, timeout: float = 30.0, status: str = "firing"
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for n in self.notifications:
                    for a in n.get("alerts", []):
                        if a["labels"].get("alertname") == alertname and a.get("status") == status:
                            return dict(a)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"webhook got no {status} {alertname} within {timeout}s; got "
                        f"{sorted(self.alert_names(None))}"
                    )
                self._cond.wait(left)


class FakeExporter(_Server):
    """Serves /metrics from a fixed text, or from a callable called with the scrape count
    (so counters can grow between scrapes)."""

    def __init__(self, text: str | Callable[[int], str]) -> None:
        self.text = text
        self.scrapes = 0

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                owner: FakeExporter = self.server.owner  # type: ignore[attr-defined]
                if self.path.split("?")[0] != "/metrics":
                    self.send_response(404)
                    self.end_headers()
                    return
                owner.scrapes += 1
                body = (owner.text(owner.scrapes) if callable(owner.text) else owner.text).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)


# ---------------------------------------------------------------------------------------
# dashboard queries


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel_id: int
    panel_title: str
    ref_id: str
    expr: str

    def __str__(self) -> str:
        return f"{self.dashboard} #{self.panel_id} {self.panel_title!r} {self.ref_id}: {self.expr}"


@dataclass
class QueryReport:
    ok: list[PanelQuery] = field(default_factory=list)
    failed: list[tuple[PanelQuery, str]] = field(default_factory=list)  # parse or evaluation error
    no_data: list[PanelQuery] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{len(self.ok)} ok, {len(self.failed)} failed, {len(self.no_data)} without data"]
        lines += [f"FAILED {q}\n    {err}" for q, err in self.failed]
        lines += [f"NO DATA {q}" for q in self.no_data]
        return "\n".join(lines)


# What Grafana would put in for its built-in variables; template variables become ".*"
# (every query uses them with =~ and "All" is ".*").
DEFAULT_VARIABLES = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__interval_ms": "15000",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
}
_VAR = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")


def render_expr(expr: str, variables: dict[str, str] | None = None) -> str:
    """Substitute Grafana variables the way Grafana would for an "All" selection."""
    values = {**DEFAULT_VARIABLES, **(variables or {})}

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return values.get(name, ".*")

    return _VAR.sub(sub, expr)


def dashboard_queries(dashboards: Path | Iterable[Path] = DASHBOARDS) -> list[PanelQuery]:
    """Every PromQL expression of every panel of the given dashboard files (or directory)."""
    files = (
        sorted(dashboards.glob("*.json")) if isinstance(dashboards, Path) else sorted(dashboards)
    )
    out: list[PanelQuery] = []
    for f in files:
        dash = json.loads(f.read_text())
        panels = []
        for p in dash.get("panels", []):
            panels.append(p)
            panels.extend(p.get("panels", []))
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append(
                        PanelQuery(
                            f.name,
                            p.get("id", 0),
                            p.get("title", ""),
                            t.get("refId", ""),
                            t["expr"],
                        )
                    )
    return out


def check_dashboard_queries(
    prometheus_url: str,
    dashboards: Path | Iterable[Path] = DASHBOARDS,
    *,
    variables: dict[str, str] | None = None,
) -> QueryReport:
    """Run every dashboard query (variables substituted) as an instant query against
    `prometheus_url` (/api/v1/query). Report which failed (did not parse or could not be
    evaluated) and which returned no data."""
    report = QueryReport()
    for q in dashboard_queries(dashboards):
        params = urllib.parse.urlencode({"query": render_expr(q.expr, variables)})
        try:
            with urllib.request.urlopen(
                f"{prometheus_url}/api/v1/query?{params}", timeout=10
            ) as resp:
                ans = json.loads(resp.read().decode())
        except urllib.error.HTTPError as err:
            body = err.read().decode(errors="replace")
            try:
                ans = json.loads(body)
            except json.JSONDecodeError:
                ans = {"status": "error", "errorType": f"http_{err.code}", "error": body}
        if ans.get("status") != "success":
            report.failed.append((q, f"{ans.get('errorType')}: {ans.get('error')}"))
        elif not ans["data"]["result"]:
            report.no_data.append(q)
        else:
            report.ok.append(q)
    return report


# ---------------------------------------------------------------------------------------
# command line: the same stack run from inside a network namespace
#
# A test whose exporter lives in a network namespace (the fault lab's office) runs the stack
# inside that namespace too, so that nothing crosses into the host's network:
#
#   python -m tests.monitoring.stack serve --scrape 127.0.0.1:10043 --workdir DIR --for 2s
#       starts the webhook receiver (notifications appended to DIR/webhook.jsonl), Alertmanager
#       and Prometheus on free ports of the namespace's loopback, writes their URLs to
#       DIR/stack.json once all are ready, and runs until SIGTERM (exit 1 if one of them dies)
#   python -m tests.monitoring.stack query PROMETHEUS_URL < ["expr", ...]
#       prints the raw /api/v1/query answers as a JSON list
#   python -m tests.monitoring.stack dashboards PROMETHEUS_URL
#       runs check_dashboard_queries and prints the report as JSON
#       ({"ok": [query], "failed": [[query, error]], "no_data": [query]})

STACK_JSON = "stack.json"
WEBHOOK_JSONL = "webhook.jsonl"


def serve(scrape_address: str, workdir: Path, for_override: str | None = None) -> int:
    import signal
    import sys

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workdir.mkdir(parents=True, exist_ok=True)
    with (
        WebhookReceiver(jsonl=workdir / WEBHOOK_JSONL) as hook,
        start_alertmanager(
            alertmanager_test_config(hook.url), workdir=workdir / "alertmanager"
        ) as am,
        start_prometheus(
            scrape_address,
            alertmanager_url=am.url,
            for_override=for_override,
            workdir=workdir / "prometheus",
        ) as prom,
    ):
        info = {
            "prometheus": prom.url,
            "alertmanager": am.url,
            "webhook": hook.url,
            "prometheus_log": str(prom.log_path),
            "alertmanager_log": str(am.log_path),
        }
        tmp = workdir / (STACK_JSON + ".tmp")
        tmp.write_text(json.dumps(info))
        tmp.replace(workdir / STACK_JSON)
        while True:
            for p in (prom, am):
                if p.proc.poll() is not None:
                    print(
                        f"{p.name} exited with {p.proc.returncode}:\n{p.log_tail()}",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)


def _main(argv: list[str] | None = None) -> int:
    import argparse
    import dataclasses
    import sys

    parser = argparse.ArgumentParser(prog="python -m tests.monitoring.stack")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--scrape", required=True, help="host:port of the exporter (loopback)")
    s.add_argument("--workdir", required=True, type=Path)
    s.add_argument("--for", dest="for_override", default=None, help="e.g. 2s")
    q = sub.add_parser("query")
    q.add_argument("prometheus_url")
    d = sub.add_parser("dashboards")
    d.add_argument("prometheus_url")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.scrape, args.workdir, args.for_override)
    if args.command == "query":
        exprs = json.load(sys.stdin)
        print(json.dumps([prometheus_query(args.prometheus_url, e) for e in exprs]))
        return 0
    report = check_dashboard_queries(args.prometheus_url)
    print(
        json.dumps(
            {
                "ok": [dataclasses.asdict(q) for q in report.ok],
                "failed": [[dataclasses.asdict(q), err] for q, err in report.failed],
                "no_data": [dataclasses.asdict(q) for q in report.no_data],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
