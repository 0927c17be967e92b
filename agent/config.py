"""Configuration: strict YAML with errors that point at the file, line and key path.

The YAML is composed into nodes (not loaded into dicts) so that every error can say where it
is: `config.yaml:12: targets[3].url: not a URL`. Nothing unknown is accepted silently: a typo
in a key is an error, not a default.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

PROBE_KINDS = ("dns", "icmp", "tcp", "tls", "http", "path", "pmtu", "arp")
GROUPS = ("ozon", "control", "gateway")
DEFAULT_LISTEN = "127.0.0.1:10043"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
    re.I,
)
_DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|KiB|MiB|GiB)$")
_SIZE_UNITS = {
    "B": 1, "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30,
}  # fmt: skip
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


T = TypeVar("T")


class ConfigError(Exception):
    """A config problem, already phrased as one line for the user."""


@dataclass(frozen=True)
class KindSettings:
    interval: float
    timeout: float
    packets: int = 5  # icmp: echo requests; path: probes per hop (MTR rounds)
    spacing: float = 0.2  # icmp only


@dataclass(frozen=True)
class Expect:
    status: tuple[int, ...] = ()  # empty: any answer below 500 (the server is up and not failing)
    json_code: int | None = None

    def status_ok(self, status: int) -> bool:
        return status in self.status if self.status else 100 <= status < 500


@dataclass(frozen=True)
class Target:
    name: str
    group: str
    probes: tuple[str, ...]
    host: str  # a name, an IP, or "auto" (the default gateway)
    port: int = 443
    url: str = ""
    method: str = "GET"
    body: str = ""
    service: str = ""
    country: str = ""
    expect: Expect = field(default_factory=Expect)

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme if self.url else ""


@dataclass(frozen=True)
class Resolver:
    name: str
    address: str  # an IP, or "system" before expansion
    port: int = 53
    country: str = ""
    system: bool = False


@dataclass(frozen=True)
class SellerApiSettings:
    url: str = "https://api-seller.ozon.ru/v1/roles"
    client_id_env: str = "OZON_CLIENT_ID"
    api_key_env: str = "OZON_API_KEY"
    interval: float = 300.0
    timeout: float = 15.0


@dataclass(frozen=True)
class ListenTls:
    cert_file: str
    key_file: str
    client_ca_file: str = ""


@dataclass(frozen=True)
class Site:
    name: str = "office"
    country: str = "RU"


@dataclass(frozen=True)
class DiagnosisSettings:
    """When a path counts as sick. RTT limits per role: a LAN gateway answers in a millisecond
    or two, a home-country site in tens, Russia from China in a few hundred."""

    loss_ratio: float = 0.2  # mean over the last 3 ICMP rounds
    gateway_rtt: float = 0.05
    home_rtt: float = 0.25
    russia_rtt: float = 0.6
    gateway_jitter: float = 0.02
    path_jitter: float = 0.1
    rtt_increase: float = 0.1  # above the path's own lowest RTT: queueing, a full uplink
    slow_first_byte: float = 3.0  # an Ozon answer slower than this to start counts as slow


@dataclass(frozen=True)
class ThroughputTarget:
    """A known object to download (and optionally an endpoint to upload to)."""

    name: str
    url: str
    size: int  # bytes read at most: the download stops there whatever the object's size
    group: str = "ozon"
    upload_url: str = ""
    upload_size: int = 0

    def as_target(self) -> Target:
        parts = urlsplit(self.url)
        return Target(
            name=self.name,
            group=self.group,
            probes=("throughput",),
            host=(parts.hostname or "").lower(),
            port=parts.port or (443 if parts.scheme == "https" else 80),
            url=self.url,
        )


@dataclass(frozen=True)
class SpeedtestSettings:
    enabled: bool = False
    servers: tuple[int, ...] = ()  # speedtest.net server ids to pin; empty: the nearest
    estimate: int = 60_000_000  # bytes one run may use: what the data budget reserves


@dataclass(frozen=True)
class ThroughputSettings:
    """Throughput tests: rare, sequential, inside a daily data budget (see agent/scheduler.py)."""

    enabled: bool = False
    interval: float = 6 * 3600.0
    timeout: float = 60.0
    daily_budget: int = 300_000_000
    targets: tuple[ThroughputTarget, ...] = ()
    speedtest: SpeedtestSettings = field(default_factory=SpeedtestSettings)

    def target(self, name: str) -> ThroughputTarget | None:
        return next((t for t in self.targets if t.name == name), None)


@dataclass(frozen=True)
class Config:
    listen_host: str
    listen_port: int
    site: Site
    probes: dict[str, KindSettings]
    resolvers: tuple[Resolver, ...]
    targets: tuple[Target, ...]
    max_concurrency: int = 64
    tls_ca_file: str = ""
    listen_tls: ListenTls | None = None
    seller_api: SellerApiSettings = field(default_factory=SellerApiSettings)
    diagnosis: DiagnosisSettings = field(default_factory=DiagnosisSettings)
    throughput: ThroughputSettings = field(default_factory=ThroughputSettings)
    source: str = "<built-in default>"

    def targets_for(self, kind: str) -> list[Target]:
        return [t for t in self.targets if kind in t.probes]


_DEFAULT_KINDS: dict[str, KindSettings] = {
    "dns": KindSettings(interval=30, timeout=3),
    "icmp": KindSettings(interval=30, timeout=4, packets=5, spacing=0.2),
    "tcp": KindSettings(interval=30, timeout=5),
    "tls": KindSettings(interval=60, timeout=8),
    "http": KindSettings(interval=60, timeout=15),
    # packet-level probes (scapy; raw sockets): only for targets that list them. Path traces
    # run one at a time (routers rate-limit the ICMP errors they send), so the timeout covers
    # the queue behind the other targets' traces
    "path": KindSettings(interval=60, timeout=60, packets=3),
    "pmtu": KindSettings(interval=60, timeout=30),
    "arp": KindSettings(interval=30, timeout=5),
}


# --------------------------------------------------------------------------------------------
# Node walking helpers. Each takes the node and its key path and raises ConfigError with the
# node's own line number.


class _Ctx:
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, node: Node, path: str, message: str) -> ConfigError:
        line = node.start_mark.line + 1
        where = f"{path}: " if path else ""
        return ConfigError(f"{self.filename}:{line}: {where}{message}")

    def mapping(
        self,
        node: Node,
        path: str,
        allowed: set[str],
        required: frozenset[str] | set[str] = frozenset(),
    ) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self.fail(
                node, path, "must be a mapping" if path else "the file must be a mapping of keys"
            )
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, path, "keys must be plain strings")
            key = str(key_node.value)
            sub = f"{path}.{key}" if path else key
            if key not in allowed:
                hint = _did_you_mean(key, allowed)
                raise self.fail(key_node, sub, f"unknown key{hint}")
            if key in out:
                raise self.fail(key_node, sub, "duplicate key")
            out[key] = (key_node, value_node)
        for key in sorted(required - out.keys()):
            raise self.fail(node, f"{path}.{key}" if path else key, "required key is missing")
        return out

    def sequence(self, node: Node, path: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.fail(node, path, "must be a list")
        return list(node.value)

    def scalar(self, node: Node, path: str) -> ScalarNode:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, path, "must be a single value, not a list or mapping")
        return node

    def string(self, node: Node, path: str) -> str:
        s = self.scalar(node, path)
        if s.tag not in ("tag:yaml.org,2002:str",) and not _plain_string(s):
            raise self.fail(node, path, f"must be a string, not {_yaml_type(s)}")
        return str(s.value)

    def integer(self, node: Node, path: str, lo: int, hi: int) -> int:
        s = self.scalar(node, path)
        value = _resolve_scalar(s)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(node, path, f"must be a whole number, not {_yaml_type(s)}")
        if not lo <= value <= hi:
            raise self.fail(node, path, f"must be between {lo} and {hi}, not {value}")
        return value

    def duration(self, node: Node, path: str, lo: float = 0.001, hi: float = 86400.0) -> float:
        text = self.string_like(node, path)
        m = _DURATION_RE.match(text)
        if not m:
            raise self.fail(node, path, f"not a duration: {text!r} (use e.g. 500ms, 15s, 2m, 1h)")
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        if not lo <= seconds <= hi:
            raise self.fail(node, path, f"duration {text} is out of range ({lo:g}s to {hi:g}s)")
        return seconds

    def size(self, node: Node, path: str, lo: int, hi: int) -> int:
        text = self.string_like(node, path)
        m = _SIZE_RE.match(text)
        if not m:
            raise self.fail(node, path, f"not a size: {text!r} (use e.g. 500kB, 25MB, 1GB)")
        value = int(float(m.group(1)) * _SIZE_UNITS[m.group(2)])
        if not lo <= value <= hi:
            raise self.fail(node, path, f"size {text} is out of range ({lo} to {hi} bytes)")
        return value

    def boolean(self, node: Node, path: str) -> bool:
        s = self.scalar(node, path)
        value = _resolve_scalar(s)
        if not isinstance(value, bool):
            raise self.fail(node, path, f"must be true or false, not {_yaml_type(s)}")
        return value

    def optional(
        self,
        fields: dict[str, tuple[Node, Node]],
        key: str,
        path: str,
        parse: Callable[[Node, str], T],
        default: T,
    ) -> T:
        """fields[key] parsed at path.key, or the default when the key is absent."""
        if key not in fields:
            return default
        return parse(fields[key][1], f"{path}.{key}" if path else key)

    def string_like(self, node: Node, path: str) -> str:
        return str(self.scalar(node, path).value)

    def name(self, node: Node, path: str) -> str:
        text = self.string(node, path)
        if not _NAME_RE.match(text):
            raise self.fail(
                node, path, f"{text!r} is not a valid name (lower case letters, digits, _)"
            )
        return text

    def country(self, node: Node, path: str) -> str:
        text = self.string(node, path)
        if not _COUNTRY_RE.match(text):
            raise self.fail(node, path, f"{text!r} is not a two-letter country code like RU or CN")
        return text

    def choice(self, node: Node, path: str, choices: tuple[str, ...]) -> str:
        text = self.string(node, path)
        if text not in choices:
            raise self.fail(node, path, f"{text!r} is not one of: {', '.join(choices)}")
        return text


def _plain_string(node: ScalarNode) -> bool:
    # an unquoted scalar that YAML would resolve to a string
    return isinstance(_resolve_scalar(node), str)


def _resolve_scalar(node: ScalarNode) -> Any:
    if node.style in ("'", '"'):
        return str(node.value)
    return yaml.safe_load(node.value) if node.value != "" else None


def _yaml_type(node: ScalarNode) -> str:
    value = _resolve_scalar(node)
    if value is None:
        return "an empty value"
    return {bool: "true/false", int: "a number", float: "a number", str: "a string"}.get(
        type(value), type(value).__name__
    )


def _did_you_mean(key: str, allowed: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return (
        f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(sorted(allowed))})"
    )


def _ip_port(text: str, default_port: int) -> tuple[str, int] | None:
    """'1.2.3.4', '1.2.3.4:53', '[::1]:53', '::1' -> (ip, port); None when not an address."""
    host, port = text, default_port
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                return None
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        if not p.isdigit():
            return None
        port = int(p)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    if not 0 <= port < 65536:
        return None
    return host, port


# --------------------------------------------------------------------------------------------


def _parse_kinds(ctx: _Ctx, node: Node) -> dict[str, KindSettings]:
    kinds = dict(_DEFAULT_KINDS)
    for kind, (_, value) in ctx.mapping(node, "probes", set(PROBE_KINDS)).items():
        path = f"probes.{kind}"
        allowed = {"interval", "timeout"} | ({"packets", "spacing"} if kind == "icmp" else set())
        if kind == "path":
            allowed.add("packets")
        fields = ctx.mapping(value, path, allowed)
        base = kinds[kind]
        interval = ctx.optional(
            fields, "interval", path, lambda n, p: ctx.duration(n, p, 0.5), base.interval
        )
        timeout = ctx.optional(
            fields, "timeout", path, lambda n, p: ctx.duration(n, p, 0.05, 600), base.timeout
        )
        if timeout > interval:
            where = fields.get("timeout", fields.get("interval", (value, value)))[1]
            raise ctx.fail(where, f"{path}.timeout", "must not be longer than the interval")
        packets = ctx.optional(
            fields, "packets", path, lambda n, p: ctx.integer(n, p, 1, 100), base.packets
        )
        spacing = ctx.optional(
            fields, "spacing", path, lambda n, p: ctx.duration(n, p, 0.01, 10), base.spacing
        )
        kinds[kind] = KindSettings(interval, timeout, packets, spacing)
    return kinds


def _parse_resolver(ctx: _Ctx, node: Node, path: str) -> Resolver:
    f = ctx.mapping(node, path, {"name", "address", "country"}, {"name", "address"})
    name = ctx.name(f["name"][1], f"{path}.name")
    address = ctx.string_like(f["address"][1], f"{path}.address")
    country = ctx.country(f["country"][1], f"{path}.country") if "country" in f else ""
    if address == "system":
        return Resolver(name=name, address="system", country=country, system=True)
    parsed = _ip_port(address, 53)
    if parsed is None or parsed[1] == 0:
        raise ctx.fail(
            f["address"][1], f"{path}.address", f"not an IP address (or 'system'): {address!r}"
        )
    return Resolver(name=name, address=parsed[0], port=parsed[1], country=country)


_TARGET_KEYS = {
    "name", "group", "probes", "host", "port", "url", "method", "body", "service", "country",
    "expect",
}  # fmt: skip


def _parse_target(ctx: _Ctx, node: Node, path: str) -> Target:
    f = ctx.mapping(node, path, _TARGET_KEYS, {"name", "group"})
    name = ctx.name(f["name"][1], f"{path}.name")
    group = ctx.choice(f["group"][1], f"{path}.group", GROUPS)
    url = ""
    host = ""
    port = 443
    if "url" in f:
        url = ctx.string(f["url"][1], f"{path}.url")
        parts = urlsplit(url)
        try:
            url_port = parts.port
        except ValueError:
            url_port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or url_port == -1:
            raise ctx.fail(f["url"][1], f"{path}.url", f"not a URL: {url!r}")
        host = parts.hostname
        port = url_port or (443 if parts.scheme == "https" else 80)
    if "host" in f:
        if url:
            raise ctx.fail(f["host"][0], f"{path}.host", "give either url or host, not both")
        host = ctx.string_like(f["host"][1], f"{path}.host")
        if host != "auto" and _ip_port(host, 0) is None and not _HOST_RE.match(host):
            raise ctx.fail(f["host"][1], f"{path}.host", f"not a host name or IP address: {host!r}")
    if not host:
        raise ctx.fail(node, f"{path}.url", "a target needs a url or a host")
    if "port" in f:
        port = ctx.integer(f["port"][1], f"{path}.port", 1, 65535)
    is_ip = host == "auto" or _ip_port(host, 0) is not None
    if "probes" in f:
        probes: list[str] = []
        for i, p in enumerate(ctx.sequence(f["probes"][1], f"{path}.probes")):
            kind = ctx.choice(p, f"{path}.probes[{i}]", PROBE_KINDS)
            if kind in probes:
                raise ctx.fail(p, f"{path}.probes[{i}]", f"{kind} is listed twice")
            probes.append(kind)
    else:
        probes = ["icmp"] if is_ip else ["dns", "icmp"]
        if url:
            probes += ["tcp", "tls", "http"] if url.startswith("https") else ["tcp", "http"]
    for i, kind in enumerate(probes):
        where = f["probes"][1] if "probes" in f else node
        if kind == "http" and not url:
            raise ctx.fail(where, f"{path}.probes[{i}]", "the http probe needs a url")
        if kind == "dns" and is_ip:
            raise ctx.fail(where, f"{path}.probes[{i}]", "the dns probe needs a host name")
        if kind == "arp" and group != "gateway":
            raise ctx.fail(where, f"{path}.probes[{i}]", "the arp probe is for the gateway group")
    method = "GET"
    if "method" in f:
        method = ctx.choice(f["method"][1], f"{path}.method", ("GET", "HEAD", "POST"))
    body = ctx.string(f["body"][1], f"{path}.body") if "body" in f else ""
    expect = Expect()
    if "expect" in f:
        ef = ctx.mapping(f["expect"][1], f"{path}.expect", {"status", "json_code"})
        statuses: tuple[int, ...] = ()
        if "status" in ef:
            items = ctx.sequence(ef["status"][1], f"{path}.expect.status")
            statuses = tuple(
                ctx.integer(s, f"{path}.expect.status[{i}]", 100, 599) for i, s in enumerate(items)
            )
        json_code = ctx.optional(
            ef, "json_code", f"{path}.expect", lambda n, p: ctx.integer(n, p, -(2**31), 2**31), None
        )
        expect = Expect(statuses, json_code)
    return Target(
        name=name,
        group=group,
        probes=tuple(probes),
        host=host.lower(),
        port=port,
        url=url,
        method=method,
        body=body,
        service=ctx.name(f["service"][1], f"{path}.service") if "service" in f else "",
        country=ctx.country(f["country"][1], f"{path}.country") if "country" in f else "",
        expect=expect,
    )


_TOP_KEYS = {
    "listen", "listen_tls", "site", "max_concurrency", "probes", "resolvers", "targets",
    "tls_ca_file", "seller_api", "diagnosis", "throughput",
}  # fmt: skip


def parse_config(text: str, filename: str) -> Config:
    ctx = _Ctx(filename)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        line = (e.problem_mark.line + 1) if e.problem_mark else 1
        raise ConfigError(f"{filename}:{line}: not valid YAML: {e.problem}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{filename}:1: not valid YAML: {e}") from None
    if root is None:
        raise ConfigError(f"{filename}:1: the file is empty")
    top = ctx.mapping(root, "", _TOP_KEYS, {"targets"})

    listen_host, listen_port = DEFAULT_LISTEN.rsplit(":", 1)[0], int(DEFAULT_LISTEN.rsplit(":")[1])
    if "listen" in top:
        text_listen = ctx.string_like(top["listen"][1], "listen")
        parsed = _ip_port(text_listen, -1)
        if parsed is None or parsed[1] < 0:
            raise ctx.fail(
                top["listen"][1],
                "listen",
                f"not an address:port like 127.0.0.1:10043: {text_listen!r}",
            )
        listen_host, listen_port = parsed

    listen_tls = None
    if "listen_tls" in top:
        lf = ctx.mapping(
            top["listen_tls"][1], "listen_tls", {"cert_file", "key_file", "client_ca_file"},
            {"cert_file", "key_file"},
        )  # fmt: skip
        listen_tls = ListenTls(
            cert_file=_existing_file(ctx, lf["cert_file"][1], "listen_tls.cert_file", filename),
            key_file=_existing_file(ctx, lf["key_file"][1], "listen_tls.key_file", filename),
            client_ca_file=(
                _existing_file(ctx, lf["client_ca_file"][1], "listen_tls.client_ca_file", filename)
                if "client_ca_file" in lf
                else ""
            ),
        )

    site = Site()
    if "site" in top:
        sf = ctx.mapping(top["site"][1], "site", {"name", "country"})
        site = Site(
            name=ctx.string(sf["name"][1], "site.name") if "name" in sf else site.name,
            country=ctx.country(sf["country"][1], "site.country") if "country" in sf else "RU",
        )

    max_conc = ctx.optional(
        top, "max_concurrency", "", lambda n, p: ctx.integer(n, p, 1, 10000), 64
    )
    kinds = _parse_kinds(ctx, top["probes"][1]) if "probes" in top else dict(_DEFAULT_KINDS)

    resolvers: list[Resolver] = []
    if "resolvers" in top:
        for i, rn in enumerate(ctx.sequence(top["resolvers"][1], "resolvers")):
            r = _parse_resolver(ctx, rn, f"resolvers[{i}]")
            if any(x.name == r.name for x in resolvers):
                raise ctx.fail(rn, f"resolvers[{i}].name", f"duplicate resolver name {r.name!r}")
            resolvers.append(r)

    targets: list[Target] = []
    for i, tn in enumerate(ctx.sequence(top["targets"][1], "targets")):
        t = _parse_target(ctx, tn, f"targets[{i}]")
        if any(x.name == t.name for x in targets):
            raise ctx.fail(tn, f"targets[{i}].name", f"duplicate target name {t.name!r}")
        targets.append(t)
    if any("dns" in t.probes for t in targets) and not resolvers:
        raise ctx.fail(root, "resolvers", "dns probes are configured but no resolvers are")

    tls_ca = (
        _existing_file(ctx, top["tls_ca_file"][1], "tls_ca_file", filename)
        if "tls_ca_file" in top
        else ""
    )
    seller_api = SellerApiSettings()
    if "seller_api" in top:
        sa = ctx.mapping(
            top["seller_api"][1], "seller_api",
            {"url", "client_id_env", "api_key_env", "interval", "timeout"},
        )  # fmt: skip
        url = seller_api.url
        if "url" in sa:
            url = ctx.string(sa["url"][1], "seller_api.url")
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ctx.fail(sa["url"][1], "seller_api.url", f"not a URL: {url!r}")
        seller_api = SellerApiSettings(
            url=url,
            client_id_env=ctx.optional(
                sa, "client_id_env", "seller_api", ctx.string, seller_api.client_id_env
            ),
            api_key_env=ctx.optional(
                sa, "api_key_env", "seller_api", ctx.string, seller_api.api_key_env
            ),
            # Ozon cuts access for many repeated calls: never more than once a minute
            interval=ctx.optional(
                sa,
                "interval",
                "seller_api",
                lambda n, p: ctx.duration(n, p, 60, 86400),
                seller_api.interval,
            ),
            timeout=ctx.optional(
                sa,
                "timeout",
                "seller_api",
                lambda n, p: ctx.duration(n, p, 1, 60),
                seller_api.timeout,
            ),
        )
    diagnosis = (
        _parse_diagnosis(ctx, top["diagnosis"][1]) if "diagnosis" in top else DiagnosisSettings()
    )
    throughput = (
        _parse_throughput(ctx, top["throughput"][1])
        if "throughput" in top
        else ThroughputSettings()
    )
    return Config(
        listen_host=listen_host,
        listen_port=listen_port,
        site=site,
        probes=kinds,
        resolvers=tuple(resolvers),
        targets=tuple(targets),
        max_concurrency=max_conc,
        tls_ca_file=tls_ca,
        listen_tls=listen_tls,
        seller_api=seller_api,
        diagnosis=diagnosis,
        throughput=throughput,
        source=filename,
    )


def _parse_diagnosis(ctx: _Ctx, node: Node) -> DiagnosisSettings:
    base = DiagnosisSettings()
    keys = set(DiagnosisSettings.__dataclass_fields__)
    fields = ctx.mapping(node, "diagnosis", keys)
    values: dict[str, float] = {}
    for key, (_, value) in fields.items():
        path = f"diagnosis.{key}"
        if key == "loss_ratio":
            number = _resolve_scalar(ctx.scalar(value, path))
            if (
                isinstance(number, bool)
                or not isinstance(number, int | float)
                or not 0 < number <= 1
            ):
                raise ctx.fail(value, path, "must be a ratio above 0 and at most 1, like 0.2")
            values[key] = float(number)
        else:
            values[key] = ctx.duration(value, path, 0.0001, 600)
    return DiagnosisSettings(**{**base.__dict__, **values})


def _web_url(ctx: _Ctx, node: Node, path: str) -> str:
    url = ctx.string(node, path)
    parts = urlsplit(url)
    try:
        _ = parts.port
    except ValueError:
        raise ctx.fail(node, path, f"not a URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ctx.fail(node, path, f"not a URL: {url!r}")
    return url


_MAX_TRANSFER = 10**10  # 10 GB: anything larger is a typo, not a probe


def _parse_throughput(ctx: _Ctx, node: Node) -> ThroughputSettings:
    base = ThroughputSettings()
    f = ctx.mapping(
        node, "throughput",
        {"enabled", "interval", "timeout", "daily_budget", "targets", "speedtest"},
    )  # fmt: skip
    enabled = ctx.boolean(f["enabled"][1], "throughput.enabled") if "enabled" in f else False
    # a throughput test saturates the line: more often than every 10 minutes is abuse
    interval = ctx.optional(
        f, "interval", "throughput", lambda n, p: ctx.duration(n, p, 600, 7 * 86400), base.interval
    )
    timeout = ctx.optional(
        f, "timeout", "throughput", lambda n, p: ctx.duration(n, p, 1, 600), base.timeout
    )
    budget = ctx.optional(
        f,
        "daily_budget",
        "throughput",
        lambda n, p: ctx.size(n, p, 0, _MAX_TRANSFER),
        base.daily_budget,
    )
    targets: list[ThroughputTarget] = []
    if "targets" in f:
        for i, tn in enumerate(ctx.sequence(f["targets"][1], "throughput.targets")):
            path = f"throughput.targets[{i}]"
            tf = ctx.mapping(
                tn, path, {"name", "group", "url", "size", "upload_url", "upload_size"},
                {"name", "url", "size"},
            )  # fmt: skip
            name = ctx.name(tf["name"][1], f"{path}.name")
            if any(t.name == name for t in targets):
                raise ctx.fail(tf["name"][1], f"{path}.name", f"duplicate target name {name!r}")
            upload_url = (
                _web_url(ctx, tf["upload_url"][1], f"{path}.upload_url")
                if ("upload_url" in tf)
                else ""
            )
            upload_size = ctx.optional(
                tf, "upload_size", path, lambda n, p: ctx.size(n, p, 1, _MAX_TRANSFER), 0
            )
            if bool(upload_url) != bool(upload_size):
                where = tf.get("upload_url", tf.get("upload_size"))
                assert where is not None
                raise ctx.fail(
                    where[0], f"{path}.{where[0].value}",
                    "upload_url and upload_size go together",
                )  # fmt: skip
            targets.append(
                ThroughputTarget(
                    name=name,
                    url=_web_url(ctx, tf["url"][1], f"{path}.url"),
                    size=ctx.size(tf["size"][1], f"{path}.size", 1, _MAX_TRANSFER),
                    group=ctx.optional(
                        tf, "group", path, lambda n, p: ctx.choice(n, p, GROUPS), "ozon"
                    ),
                    upload_url=upload_url,
                    upload_size=upload_size,
                )
            )
    speedtest = SpeedtestSettings()
    if "speedtest" in f:
        sf = ctx.mapping(
            f["speedtest"][1], "throughput.speedtest", {"enabled", "servers", "estimate"}
        )
        servers: list[int] = []
        if "servers" in sf:
            for i, sn in enumerate(ctx.sequence(sf["servers"][1], "throughput.speedtest.servers")):
                servers.append(ctx.integer(sn, f"throughput.speedtest.servers[{i}]", 1, 2**31))
        speedtest = SpeedtestSettings(
            enabled=ctx.optional(sf, "enabled", "throughput.speedtest", ctx.boolean, False),
            servers=tuple(servers),
            estimate=ctx.optional(
                sf,
                "estimate",
                "throughput.speedtest",
                lambda n, p: ctx.size(n, p, 1, _MAX_TRANSFER),
                speedtest.estimate,
            ),
        )
    for t in targets:
        if t.name == "speedtest" and speedtest.enabled:
            raise ctx.fail(node, "throughput.targets", "the name 'speedtest' is taken by speedtest")
    return ThroughputSettings(
        enabled=enabled,
        interval=interval,
        timeout=timeout,
        daily_budget=budget,
        targets=tuple(targets),
        speedtest=speedtest,
    )


def _existing_file(ctx: _Ctx, node: Node, path: str, config_file: str) -> str:
    text = ctx.string(node, path)
    p = Path(text)
    if not p.is_absolute() and not config_file.startswith("<"):
        p = Path(config_file).parent / p
    if not p.is_file():
        raise ctx.fail(node, path, f"no such file: {text}")
    return str(p)


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}:1: not UTF-8 text") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot read: {e.strerror}") from None
    return parse_config(text, str(p))


def default_profile_text() -> str:
    return resources.files("agent").joinpath("profiles/default.yaml").read_text(encoding="utf-8")


def load_default() -> Config:
    return parse_config(default_profile_text(), "<built-in default>")


# --------------------------------------------------------------------------------------------
# Things read from this machine: the system resolvers and the default gateway.


def system_nameservers(resolv_conf: str = "/etc/resolv.conf") -> list[tuple[str, int]]:
    servers: list[tuple[str, int]] = []
    try:
        lines = Path(resolv_conf).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return servers
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            # "%eth0" scopes a link-local address; "IP:PORT" is our extension for tests
            parsed = _ip_port(parts[1].split("%", 1)[0], 53)
            if parsed is not None and parsed[1]:
                servers.append(parsed)
    return servers


def expand_resolvers(
    resolvers: tuple[Resolver, ...], nameservers: list[tuple[str, int]]
) -> list[Resolver]:
    """Replace `address: system` by one resolver per nameserver (system, system_2, ...)."""
    out: list[Resolver] = []
    for r in resolvers:
        if not r.system:
            out.append(r)
            continue
        for i, (addr, port) in enumerate(nameservers):
            name = r.name if i == 0 else f"{r.name}_{i + 1}"
            out.append(Resolver(name, addr, port, r.country, system=True))
    return out


def default_gateway(route_file: str = "/proc/net/route") -> str | None:
    """The IPv4 default gateway, read from the kernel's routing table (no packets sent)."""
    try:
        lines = Path(route_file).read_text().splitlines()[1:]
    except OSError:
        return None
    best: tuple[int, str] | None = None
    for line in lines:
        cols = line.split()
        if len(cols) < 8 or cols[1] != "00000000" or cols[7] != "00000000":
            continue
        gw_hex, metric = cols[2], int(cols[6])
        if gw_hex == "00000000":
            continue
        gw = str(ipaddress.IPv4Address(bytes.fromhex(gw_hex)[::-1]))
        if best is None or metric < best[0]:
            best = (metric, gw)
    return best[1] if best else None
