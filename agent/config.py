"""Configuration: strict YAML with errors that point at the file, line and key path.

The YAML is composed into nodes (not loaded into dicts) so that every error can say where it
is: `config.yaml:12: targets[3].url: not a URL`. Nothing unknown is accepted silently: a typo
in a key is an error, not a default.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

GROUPS = ("ozon", "control", "gateway")
DEFAULT_LISTEN = "127.0.0.1:10043"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
    re.I | re.ASCII,  # without ASCII, IGNORECASE lets the Kelvin sign pass as a 'k'
)
# ASCII digits only (\d also takes Arabic-Indic and other digits), and few enough of them that
# float() and int() stay exact and finite: 15 integer and 9 fraction digits cover any sane value
_NUMBER = r"([0-9]{1,15}(?:\.[0-9]{1,9})?)"
_DURATION_RE = re.compile(rf"^{_NUMBER}(ms|s|m|h|d)$")
_SIZE_RE = re.compile(rf"^{_NUMBER}[ \t]*(B|kB|KB|MB|GB|KiB|MiB|GiB)$")
_SIZE_UNITS = {
    "B": 1, "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30,
}  # fmt: skip
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


T = TypeVar("T")

#: bounds on what a config file may be: a config is a few KiB; a 20k-target one is ~3 MB
MAX_CONFIG_BYTES = 16 * 2**20
MAX_PEM_BYTES = 4 * 2**20  # CA bundles and certificate chains
_MAX_DEPTH = 32  # the schema nests 5 deep; without a bound, 3000 levels hit RecursionError
_MAX_INT_CHARS = 40  # int() refuses >4300 digits and is quadratic below that
_MAX_SHOWN = 80  # a value quoted in an error message is cut here


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

    def credentials(self, environ: Mapping[str, str]) -> dict[str, str] | None:
        """The Seller API headers from the environment, or None when either is unset or
        unusable (a control character would inject a header line: never sent)."""
        client_id = environ.get(self.client_id_env, "").strip()
        api_key = environ.get(self.api_key_env, "").strip()
        if not client_id or not api_key or self.credential_problem(environ):
            return None
        return {"Client-Id": client_id, "Api-Key": api_key}

    def credential_problem(self, environ: Mapping[str, str]) -> str | None:
        """One line saying why set credentials cannot be used (never quoting them)."""
        from agent.probes.seller_api_errors import check_secret

        for env, header in ((self.client_id_env, "Client-Id"), (self.api_key_env, "Api-Key")):
            value = environ.get(env, "").strip()
            if value and (problem := check_secret(value, header)):
                return f"{env}: {problem}"
        return None


@dataclass(frozen=True)
class ListenTls:
    cert_file: str
    key_file: str
    client_ca_file: str = ""


@dataclass(frozen=True)
class ListenAuth:
    """Basic auth for the listener: (user, bcrypt hash) pairs, as exporter-toolkit has them."""

    basic_auth_users: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Site:
    name: str = "office"
    country: str = "RU"  # "auto" until agent.countries.apply_country_profile decides it
    country_reason: str = ""  # how it was decided: agent.countries.country_reason_text words it
    timezone: str = ""  # IANA name for what people read; "" = the system's (system_timezone)


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
    # Leaving a cause needs other evidence than entering it: the all-clear must hold this
    # long (agent/diagnosis/diagnoser.py), so that a path bad most of the time, or a link that
    # fails every few minutes, is one fault and not a verdict (and an alert) each time.
    recover_hard: float = 30.0  # after a hard cause (something down, cut or blocked)
    recover_soft: float = 120.0  # after a soft one (loss, latency, Ozon slow or failing)
    intermittent_count: int = 2  # named this often within intermittent_window: intermittent
    intermittent_window: float = 600.0
    recover_intermittent: float = 300.0  # the all-clear an intermittent fault needs (0: off)
    # a soft cause stays named this long before another soft cause replaces it (loss seen from
    # the gateway one round, from Russia the next, is one sick line, not two alerts); a hard
    # cause and the all-clear are not delayed by it (0: off)
    min_dwell: float = 60.0


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
class BurstSettings:
    """Confirmation bursts (agent/scheduler.py): a cheap watch of a few sentinels, and rounds
    at once when something changes, then a faster cadence until the verdict settles."""

    enabled: bool = True
    watch_interval: float = 4.0  # how often the sentinels are asked
    watch_timeout: float = 1.5  # one sentinel's deadline (one packet, one query, one connect)
    fast_interval: float = 3.0  # the cadence while the verdict is unsettled
    per_minute: int = 20  # bursts at most, whatever the network does (a flapping link)


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
    listen_auth: ListenAuth | None = None
    seller_api: SellerApiSettings = field(default_factory=SellerApiSettings)
    diagnosis: DiagnosisSettings = field(default_factory=DiagnosisSettings)
    throughput: ThroughputSettings = field(default_factory=ThroughputSettings)
    bursts: BurstSettings = field(default_factory=BurstSettings)
    fleet: FleetSettings | None = None  # the centre to ask what the other sites see
    source: str = "<built-in default>"
    controls: str = "listed"  # "auto": add the built-in controls (agent.countries)
    state_dir: str = ""  # "" = resolved by agent.journal.resolve_state_dir
    journal: JournalSettings = field(default_factory=lambda: JournalSettings())

    def targets_for(self, kind: str) -> list[Target]:
        return [t for t in self.targets if kind in t.probes]


def _kind_defaults() -> dict[str, KindSettings]:
    """The `probes:` section's defaults, from the probe registry (imported here, not at the
    top: the probe modules import this module for Target and KindSettings)."""
    from agent.probes import KINDS

    return {name: spec.settings for name, spec in KINDS.items() if spec.settings is not None}


# --------------------------------------------------------------------------------------------
# Node walking helpers. Each takes the node and its key path and raises ConfigError with the
# node's own line number.


class _Ctx:
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, node: Node, path: str, message: str) -> ConfigError:
        line = node.start_mark.line + 1
        where = f"{_one_line(path)}: " if path else ""
        return ConfigError(f"{self.filename}:{line}: {where}{_one_line(message)}")

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
            sub = f"{path}.{_shown_key(key)}" if path else _shown_key(key)
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

    def string(self, node: Node, path: str, multiline: bool = False) -> str:
        s = self.scalar(node, path)
        if s.tag not in ("tag:yaml.org,2002:str",) and not _plain_string(s):
            raise self.fail(node, path, f"must be a string, not {_yaml_type(s)}")
        return self._printable(s, path, multiline)

    def _printable(self, node: ScalarNode, path: str, multiline: bool = False) -> str:
        # a quoted "\x1b[2J" or "\n" would reach log lines, labels and the status page as is
        text = str(node.value)
        allowed = "\t\n\r" if multiline else ""
        bad = next((c for c in text if _is_control(c) and c not in allowed), None)
        if bad is not None:
            raise self.fail(
                node, path, f"must not contain control characters (found U+{ord(bad):04X})"
            )
        return text

    def integer(self, node: Node, path: str, lo: int, hi: int) -> int:
        s = self.scalar(node, path)
        value = _resolve_scalar(s)
        if isinstance(value, _TooManyDigits):
            raise self.fail(node, path, f"must be between {lo} and {hi}, not {value}")
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(node, path, f"must be a whole number, not {_yaml_type(s)}")
        if not lo <= value <= hi:
            raise self.fail(node, path, f"must be between {lo} and {hi}, not {value}")
        return value

    def duration(self, node: Node, path: str, lo: float = 0.001, hi: float = 86400.0) -> float:
        text = self.string_like(node, path)
        m = _DURATION_RE.match(text)
        if not m:
            raise self.fail(
                node, path, f"not a duration: {_shown(text)} (use e.g. 500ms, 15s, 2m, 1h)"
            )
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        if not lo <= seconds <= hi:
            raise self.fail(node, path, f"duration {text} is out of range ({lo:g}s to {hi:g}s)")
        return seconds

    def size(self, node: Node, path: str, lo: int, hi: int) -> int:
        text = self.string_like(node, path)
        m = _SIZE_RE.match(text)
        if not m:
            raise self.fail(node, path, f"not a size: {_shown(text)} (use e.g. 500kB, 25MB, 1GB)")
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
        return self._printable(self.scalar(node, path), path)

    def name(self, node: Node, path: str) -> str:
        text = self.string(node, path)
        if not _NAME_RE.match(text):
            raise self.fail(
                node, path, f"{_shown(text)} is not a valid name (lower case letters, digits, _)"
            )
        return text

    def country(self, node: Node, path: str) -> str:
        text = self.string(node, path)
        if not _COUNTRY_RE.match(text):
            raise self.fail(
                node, path, f"{_shown(text)} is not a two-letter country code like RU or CN"
            )
        return text

    def choice(self, node: Node, path: str, choices: tuple[str, ...]) -> str:
        text = self.string(node, path)
        if text not in choices:
            raise self.fail(node, path, f"{_shown(text)} is not one of: {', '.join(choices)}")
        return text


def _plain_string(node: ScalarNode) -> bool:
    # an unquoted scalar that YAML would resolve to a string
    return isinstance(_resolve_scalar(node), str)


class _TooManyDigits:
    """What an integer of absurd length resolves to: shown, never converted."""

    def __init__(self, text: str) -> None:
        self.digits = len(text)

    def __str__(self) -> str:
        return f"a {self.digits}-digit number"


_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp")
)
_CONSTRUCTOR = yaml.SafeLoader("")  # only its scalar constructors are used: no document state


def _resolve_scalar(node: ScalarNode) -> Any:
    """The value YAML gives an unquoted scalar: the tag the composer resolved, constructed as
    SafeLoader would (an integer too long to convert, or a date like 2001-13-45 that its
    constructor cannot build, comes back as text or `_TooManyDigits` instead of raising)."""
    if node.style in ("'", '"'):
        return str(node.value)
    if node.value == "" and node.tag == "tag:yaml.org,2002:null":
        return None
    if node.tag == "tag:yaml.org,2002:int" and len(node.value) > _MAX_INT_CHARS:
        return _TooManyDigits(node.value)
    constructor = _CONSTRUCTOR.yaml_constructors.get(node.tag)
    if constructor is None or node.tag not in _SCALAR_TAGS:
        return str(node.value)
    try:
        return constructor(_CONSTRUCTOR, node)
    except (ValueError, OverflowError, yaml.YAMLError):
        return str(node.value)


def _is_control(c: str) -> bool:
    # C0, DEL, C1, and the separators str.splitlines() breaks on (a "one line" must stay one)
    o = ord(c)
    return o < 0x20 or 0x7F <= o < 0xA0 or c in "\u2028\u2029"


def _one_line(text: str) -> str:
    if not any(_is_control(c) for c in text):
        return text
    return "".join(repr(c)[1:-1] if _is_control(c) else c for c in text)


def _shown(text: str) -> str:
    """A user's value quoted in a message, cut so that a 100 kB value stays a readable line."""
    if len(text) <= _MAX_SHOWN:
        return repr(text)
    return f"{text[:_MAX_SHOWN]!r}... ({len(text)} characters)"


_PLAIN_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def _shown_key(key: str) -> str:
    # an empty, blank or odd key is quoted: "c.yaml:1:  : unknown key" tells nobody anything
    shown = key if _PLAIN_KEY_RE.match(key) else repr(key)
    if len(shown) <= _MAX_SHOWN:
        return shown
    return f"{shown[:_MAX_SHOWN]}... ({len(key)} characters)"


def _yaml_type(node: ScalarNode) -> str:
    value = _resolve_scalar(node)
    if value is None:
        return "an empty value"
    if isinstance(value, _TooManyDigits):
        return "a number"
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
            if not rest.startswith(":") or not _is_port_text(rest[1:]):
                return None
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        if not _is_port_text(p):
            return None
        port = int(p)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    if not 0 <= port < 65536:
        return None
    return host, port


def _is_port_text(text: str) -> bool:
    # str.isdigit() is true for '²' and '٥', which int() then refuses or misreads
    return 0 < len(text) <= 5 and text.isascii() and text.isdigit()


# --------------------------------------------------------------------------------------------


def _parse_kinds(ctx: _Ctx, node: Node) -> dict[str, KindSettings]:
    from agent.probes import KINDS

    kinds = _kind_defaults()
    for kind, (_, value) in ctx.mapping(node, "probes", set(kinds)).items():
        path = f"probes.{kind}"
        allowed = {"interval", "timeout"} | KINDS[kind].options
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
        url = _web_url(ctx, f["url"][1], f"{path}.url")
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
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
    from agent.probes import KINDS, configurable

    if "probes" in f:
        probes: list[str] = []
        for i, p in enumerate(ctx.sequence(f["probes"][1], f"{path}.probes")):
            kind = ctx.choice(p, f"{path}.probes[{i}]", tuple(configurable()))
            if kind in probes:
                raise ctx.fail(p, f"{path}.probes[{i}]", f"{kind} is listed twice")
            probes.append(kind)
    else:
        probes = [
            k for k in configurable() if (on := KINDS[k].default_on) is not None and on(url, is_ip)
        ]
    for i, kind in enumerate(probes):
        where = f["probes"][1] if "probes" in f else node
        check = KINDS[kind].check_target
        problem = check(url, is_ip, group) if check is not None else None
        if problem:
            raise ctx.fail(where, f"{path}.probes[{i}]", problem)
    method = "GET"
    if "method" in f:
        method = ctx.choice(f["method"][1], f"{path}.method", ("GET", "HEAD", "POST"))
    body = ctx.string(f["body"][1], f"{path}.body", multiline=True) if "body" in f else ""
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
    "tls_ca_file", "seller_api", "diagnosis", "throughput", "bursts", "controls",
    "state_dir", "journal",
    "fleet",
    "listen_auth",
}  # fmt: skip


# what YAML refuses in a stream (PyYAML's Reader says so in two lines and a character offset)
_NOT_YAML_RE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


class _DepthLimitedLoader(yaml.SafeLoader):
    """SafeLoader whose (recursive) composer refuses to nest deeper than _MAX_DEPTH."""

    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.depth >= _MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                problem=f"nested more than {_MAX_DEPTH} levels deep", problem_mark=mark
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _compose(text: str, filename: str) -> Node | None:
    bad = _NOT_YAML_RE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        char = f"U+{ord(bad.group()):04X}"
        raise ConfigError(f"{filename}:{line}: not valid YAML: control character {char}")
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        # libyaml composes 20k targets five times faster; its own composer recurses without a
        # bound, so the depth is checked on its (iterative) event stream first. Any error is
        # reported by the pure-Python loader below, whose messages the tests pin.
        try:
            if _depth_ok(text, fast):
                return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    loader = _DepthLimitedLoader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        line = (e.problem_mark.line + 1) if e.problem_mark else 1
        problem = _one_line(str(e.problem or e.context or "syntax error"))
        raise ConfigError(f"{filename}:{line}: not valid YAML: {problem}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{filename}:1: not valid YAML: {_one_line(str(e))}") from None
    finally:
        loader.dispose()


def _depth_ok(text: str, loader: Any) -> bool:
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > _MAX_DEPTH:
                return False
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return True


def parse_config(text: str, filename: str) -> Config:
    ctx = _Ctx(filename)
    root = _compose(text, filename)
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
        _certificate_and_key(
            ctx, lf["cert_file"][1], lf["key_file"][1], "listen_tls.cert_file",
            listen_tls.cert_file, listen_tls.key_file,
        )  # fmt: skip
        if listen_tls.client_ca_file:
            _certificates(
                ctx, lf["client_ca_file"][1], "listen_tls.client_ca_file",
                listen_tls.client_ca_file,
            )  # fmt: skip

    site = Site()
    if "site" in top:
        sf = ctx.mapping(top["site"][1], "site", {"name", "country", "timezone"})
        site = Site(
            name=ctx.string(sf["name"][1], "site.name") if "name" in sf else site.name,
            country=_site_country(ctx, sf["country"][1]) if "country" in sf else "RU",
            timezone=_timezone(ctx, sf["timezone"][1]) if "timezone" in sf else "",
        )
    controls = ctx.optional(
        top, "controls", "", lambda n, p: ctx.choice(n, p, ("auto", "listed")), "listed"
    )

    max_conc = ctx.optional(
        top, "max_concurrency", "", lambda n, p: ctx.integer(n, p, 1, 10000), 64
    )
    kinds = _parse_kinds(ctx, top["probes"][1]) if "probes" in top else _kind_defaults()

    # names seen so far in sets: a list scan made 20k targets take 40 s (issue 13)
    resolvers: list[Resolver] = []
    resolver_names: set[str] = set()
    if "resolvers" in top:
        for i, rn in enumerate(ctx.sequence(top["resolvers"][1], "resolvers")):
            r = _parse_resolver(ctx, rn, f"resolvers[{i}]")
            if r.name in resolver_names:
                raise ctx.fail(rn, f"resolvers[{i}].name", f"duplicate resolver name {r.name!r}")
            resolver_names.add(r.name)
            resolvers.append(r)

    targets: list[Target] = []
    target_names: set[str] = set()
    for i, tn in enumerate(ctx.sequence(top["targets"][1], "targets")):
        t = _parse_target(ctx, tn, f"targets[{i}]")
        if t.name in target_names:
            raise ctx.fail(tn, f"targets[{i}].name", f"duplicate target name {t.name!r}")
        target_names.add(t.name)
        targets.append(t)
    from agent.probes import KINDS

    needing = [k for k, spec in KINDS.items() if spec.needs_resolvers]
    if not resolvers and (kind := next((k for t in targets for k in t.probes if k in needing), "")):
        raise ctx.fail(root, "resolvers", f"{kind} probes are configured but no resolvers are")

    tls_ca = (
        _existing_file(ctx, top["tls_ca_file"][1], "tls_ca_file", filename)
        if "tls_ca_file" in top
        else ""
    )
    if tls_ca:
        _certificates(ctx, top["tls_ca_file"][1], "tls_ca_file", tls_ca)
    seller_api = SellerApiSettings()
    if "seller_api" in top:
        sa = ctx.mapping(
            top["seller_api"][1], "seller_api",
            {"url", "client_id_env", "api_key_env", "interval", "timeout"},
        )  # fmt: skip
        url = seller_api.url
        if "url" in sa:
            url = _web_url(ctx, sa["url"][1], "seller_api.url")
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
    bursts = _parse_bursts(ctx, top["bursts"][1]) if "bursts" in top else BurstSettings()
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
        listen_auth=_parse_listen_auth(ctx, top.get("listen_auth")),
        seller_api=seller_api,
        diagnosis=diagnosis,
        throughput=throughput,
        bursts=bursts,
        fleet=_parse_fleet(ctx, top["fleet"][1]) if "fleet" in top else None,
        source=filename,
        controls=controls,
        **_parse_journal_keys(ctx, top),
    )


def _site_country(ctx: _Ctx, node: Node) -> str:
    # "auto" is decided from the time zone by agent.countries.apply_country_profile
    if ctx.string_like(node, "site.country") == "auto":
        return "auto"
    return ctx.country(node, "site.country")


def _parse_bursts(ctx: _Ctx, node: Node) -> BurstSettings:
    base = BurstSettings()
    f = ctx.mapping(node, "bursts", set(BurstSettings.__dataclass_fields__))
    p = "bursts"
    settings = BurstSettings(
        enabled=ctx.optional(f, "enabled", p, ctx.boolean, base.enabled),
        watch_interval=ctx.optional(
            f, "watch_interval", p, lambda n, q: ctx.duration(n, q, 1, 3600), base.watch_interval
        ),
        watch_timeout=ctx.optional(
            f, "watch_timeout", p, lambda n, q: ctx.duration(n, q, 0.05, 60), base.watch_timeout
        ),
        fast_interval=ctx.optional(
            f, "fast_interval", p, lambda n, q: ctx.duration(n, q, 1, 3600), base.fast_interval
        ),
        per_minute=ctx.optional(
            f, "per_minute", p, lambda n, q: ctx.integer(n, q, 1, 120), base.per_minute
        ),
    )
    if settings.watch_timeout >= settings.watch_interval:
        where = f.get("watch_timeout", f.get("watch_interval", (node, node)))[1]
        raise ctx.fail(where, "bursts.watch_timeout", "must be shorter than bursts.watch_interval")
    return settings


_BCRYPT_HASH = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")


def _parse_listen_auth(ctx: _Ctx, entry: tuple[Node, Node] | None) -> ListenAuth | None:
    """`listen_auth: {basic_auth_users: {name: bcrypt hash}}`, the shape of exporter-toolkit's
    web config; bcrypt itself is the optional [auth] extra, checked here so that `validate`
    says it, not the first request."""
    if entry is None:
        return None
    node, path = entry[1], "listen_auth.basic_auth_users"
    fields = ctx.mapping(node, "listen_auth", {"basic_auth_users"}, {"basic_auth_users"})
    users_node = fields["basic_auth_users"][1]
    if not isinstance(users_node, MappingNode) or not users_node.value:
        raise ctx.fail(users_node, path, "must name at least one user: {name: bcrypt hash}")
    users: dict[str, str] = {}
    for key_node, value_node in users_node.value:
        name = ctx.string(key_node, path)
        if not name or ":" in name or not name.isprintable():
            raise ctx.fail(key_node, path, f"a user name cannot hold ':' or be empty: {name!r}")
        if name in users:
            raise ctx.fail(key_node, f"{path}.{name}", "duplicate user")
        hashed = ctx.string(value_node, f"{path}.{name}")
        if not _BCRYPT_HASH.fullmatch(hashed):
            raise ctx.fail(
                value_node, f"{path}.{name}",
                "not a bcrypt hash ($2y$10$ and 53 more characters; make one with "
                "htpasswd -nBC 10 NAME)",
            )  # fmt: skip
        users[name] = hashed
    try:
        import bcrypt  # noqa: F401
    except ImportError:
        raise ctx.fail(
            node, "listen_auth",
            "needs the bcrypt package: pip install 'ozon-probe[auth]' (or python3-bcrypt)",
        ) from None  # fmt: skip
    return ListenAuth(basic_auth_users=tuple(users.items()))


def _parse_diagnosis(ctx: _Ctx, node: Node) -> DiagnosisSettings:
    base = DiagnosisSettings()
    keys = set(DiagnosisSettings.__dataclass_fields__)
    fields = ctx.mapping(node, "diagnosis", keys)
    values: dict[str, float] = {}
    for key, (_, value) in fields.items():
        path = f"diagnosis.{key}"
        if key == "intermittent_count":
            number = _resolve_scalar(ctx.scalar(value, path))
            if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 100:
                raise ctx.fail(value, path, "must be a whole number from 0 (off) to 100, like 2")
            values[key] = number
        elif key in ("recover_hard", "recover_soft", "recover_intermittent", "min_dwell"):
            values[key] = ctx.duration(value, path, 0, 3600)
        elif key == "intermittent_window":
            values[key] = ctx.duration(value, path, 1, 86400)
        elif key == "loss_ratio":
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


_URL_CHARS_RE = re.compile(r"^[!-~]+$")  # printable ASCII, no space: what goes on the wire


def _web_url(ctx: _Ctx, node: Node, path: str, credentials: bool = False) -> str:
    """The one URL check, for targets, throughput and the Seller API alike: http(s), a host
    name or IP, a port in 1..65535 when given, and nothing the request line cannot carry."""
    url = ctx.string(node, path)
    # a message never repeats a password: user:password@ is shown as ***@
    shown = _shown(re.sub(r"//[^/?#@]*@", "//***@", url))
    bad = ctx.fail(node, path, f"not a URL: {shown}")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise bad from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise bad
    if not _URL_CHARS_RE.match(url):
        raise ctx.fail(
            node, path, f"not a URL: {shown} (percent-encode spaces and non-ASCII letters)"
        )
    host = parts.hostname
    if _ip_port(host, 0) is None and not _HOST_RE.match(host):
        raise ctx.fail(node, path, f"not a URL: {shown} (the host is not a host name)")
    if (parts.username is not None or parts.password is not None) and not credentials:
        # a password in the URL would end up in labels, logs and the status page
        raise ctx.fail(node, path, f"not a URL: {shown} (no user:password@ in URLs)")
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
    names: set[str] = set()
    if "targets" in f:
        for i, tn in enumerate(ctx.sequence(f["targets"][1], "throughput.targets")):
            path = f"throughput.targets[{i}]"
            tf = ctx.mapping(
                tn, path, {"name", "group", "url", "size", "upload_url", "upload_size"},
                {"name", "url", "size"},
            )  # fmt: skip
            name = ctx.name(tf["name"][1], f"{path}.name")
            if name in names:
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
            names.add(name)
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


class _FileProblem(Exception):
    """Why a file the config names cannot be used, phrased to follow the file's name."""


def read_regular_file(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, else _FileProblem. Opened with
    O_NONBLOCK and checked with fstat before reading: a FIFO must not hang `validate`, and
    /dev/zero or a 100 MB file must not be read at all."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise _FileProblem("no such file") from None
    except OSError as e:
        raise _FileProblem(f"cannot read: {e.strerror or type(e).__name__}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise _FileProblem("is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise _FileProblem("not a regular file (a pipe, socket or device)")
        if st.st_size > limit:
            raise _FileProblem(f"larger than {limit // 2**20} MiB: not a file for this")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # the file may grow after fstat: read one byte past the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise _FileProblem(f"larger than {limit // 2**20} MiB: not a file for this")
        return b"".join(chunks)
    except OSError as e:
        raise _FileProblem(f"cannot read: {e.strerror or type(e).__name__}") from None
    finally:
        os.close(fd)


def _existing_file(ctx: _Ctx, node: Node, path: str, config_file: str) -> str:
    text = ctx.string(node, path)
    p = Path(text)
    if not p.is_absolute() and not config_file.startswith("<"):
        p = Path(config_file).parent / p
    try:
        read_regular_file(p, MAX_PEM_BYTES)
    except _FileProblem as e:
        message = str(e)
        if message == "no such file":  # the historical wording: "no such file: /x/ca.pem"
            raise ctx.fail(node, path, f"no such file: {_one_line(text)}") from None
        raise ctx.fail(node, path, f"{_one_line(text)}: {message}") from None
    return str(p)


def _certificates(ctx: _Ctx, node: Node, path: str, file: str) -> None:
    """A CA file must load as certificates now: a wrong file validated once, then failed every
    TLS probe as `tls_error`, and the diagnosis called that an Ozon outage."""
    try:
        ssl.create_default_context().load_verify_locations(cafile=file)
    except (ssl.SSLError, OSError, ValueError) as e:
        shown = _one_line(str(node.value))  # as the user wrote it, not as resolved
        raise ctx.fail(node, path, f"{shown}: not PEM certificates ({_ssl_reason(e)})") from None


def _certificate_and_key(
    ctx: _Ctx, node: Node, key_node: Node, path: str, cert: str, key: str
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        # a callback, so that an encrypted key fails here instead of prompting on the terminal
        context.load_cert_chain(cert, key, password=lambda: b"")
    except (ssl.SSLError, OSError, ValueError) as e:
        raise ctx.fail(
            node, path, f"{_one_line(str(node.value))} and {_one_line(str(key_node.value))} are "
            f"not a PEM certificate and its unencrypted private key ({_ssl_reason(e)})",
        ) from None  # fmt: skip


def _ssl_reason(e: BaseException) -> str:
    # OpenSSL's reason code ("NO_CERTIFICATE_OR_CRL_FOUND") reads better than its message
    reason = e.reason if isinstance(e, ssl.SSLError) else getattr(e, "strerror", None)
    if not reason:
        return "OpenSSL cannot read it"
    return _one_line(str(reason)).replace("_", " ").lower()


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        data = read_regular_file(p, MAX_CONFIG_BYTES)
    except _FileProblem as e:
        raise ConfigError(f"{_one_line(str(p))}: {e}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ConfigError(f"{_one_line(str(p))}:{line}: not UTF-8 text") from None
    return _effective(parse_config(text, str(p)))


def default_profile_text() -> str:
    return resources.files("agent").joinpath("profiles/default.yaml").read_text(encoding="utf-8")


def load_default() -> Config:
    return _effective(parse_config(default_profile_text(), "<built-in default>"))


def _effective(config: Config) -> Config:
    # every config that will run (run, check, validate, SIGHUP reload) has its country decided
    # and `controls: auto` expanded here; parse_config alone keeps what the file says
    import os

    from agent.countries import apply_country_profile

    return apply_country_profile(config, os.environ)


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


#: the config's rule for "IP" and "IP:PORT", also used for resolv.conf's nameserver lines
parse_ip_port = _ip_port


# --------------------------------------------------------------------------------------------
# The incident journal's keys (agent/journal.py): state_dir, journal.retention/max_size, and
# site.timezone.


@dataclass(frozen=True)
class JournalSettings:
    retention_days: int = 90
    max_bytes: int = 200_000_000


def _parse_journal_keys(ctx: _Ctx, top: dict[str, tuple[Node, Node]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "state_dir" in top:
        text = ctx.string(top["state_dir"][1], "state_dir")
        if not text.strip() or "\0" in text:
            raise ctx.fail(top["state_dir"][1], "state_dir", f"not a directory path: {text!r}")
        out["state_dir"] = text
    if "journal" in top:
        jf = ctx.mapping(top["journal"][1], "journal", {"retention", "max_size"})
        base = JournalSettings()
        retention = ctx.optional(
            jf, "retention", "journal", lambda n, p: ctx.duration(n, p, 86400, 3650 * 86400),
            base.retention_days * 86400.0,
        )  # fmt: skip
        max_bytes = ctx.optional(
            jf, "max_size", "journal", lambda n, p: ctx.size(n, p, 1_000_000, 100 * 10**9),
            base.max_bytes,
        )  # fmt: skip
        out["journal"] = JournalSettings(round(retention / 86400), max_bytes)
    return out


def _timezone(ctx: _Ctx, node: Node) -> str:
    name = ctx.string(node, "site.timezone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ctx.fail(
            node,
            "site.timezone",
            f"not a time zone: {name!r} (use e.g. Europe/Moscow, Asia/Shanghai)",
        ) from None
    return name


def system_timezone(env: dict[str, str] | None = None, localtime: str = "/etc/localtime") -> str:
    """The machine's IANA zone name: $TZ, else /etc/localtime's link target, else
    /etc/timezone, else UTC."""
    import contextlib
    import os

    tz = (os.environ if env is None else env).get("TZ", "").lstrip(":")
    candidates = [tz] if tz else []
    try:
        target = os.path.realpath(localtime)
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    for name in candidates:
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


# ---------------------------------------------------------------- fleet (docs/fleet.md)


@dataclass(frozen=True)
class FleetSettings:
    """The centre's PromQL API (agent/fleet.py asks it what the seller's other sites see)."""

    query_url: str
    timeout: float = 5.0


def _parse_fleet(ctx: _Ctx, node: Node) -> FleetSettings:
    f = ctx.mapping(node, "fleet", {"query_url", "timeout"}, {"query_url"})
    return FleetSettings(
        # the centre's password may ride in the URL (basic auth): agent.fleet never shows the
        # URL, only its host and port
        query_url=_web_url(ctx, f["query_url"][1], "fleet.query_url", credentials=True),
        # the status page waits for it: seconds, not minutes
        timeout=ctx.optional(f, "timeout", "fleet", lambda n, p: ctx.duration(n, p, 0.1, 60), 5.0),
    )
