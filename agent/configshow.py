"""`ozon-probe config show`: the effective config as YAML that `ozon-probe validate` accepts.

Everything the agent will run is written out: the country as decided (and, in a comment, why),
the built-in controls and resolvers that `controls: auto` added, every probe kind's timing and
the diagnosis thresholds. Loading the output gives back the same config (tests check the round
trip), so a seller can save it, edit it and run it with -c.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import yaml

from agent.config import (
    Config,
    DiagnosisSettings,
    Expect,
    KindSettings,
    Resolver,
    SellerApiSettings,
    Target,
    ThroughputSettings,
)
from agent.countries import country_name, country_reason_text
from agent.lang import detect_lang
from agent.net.machine import system_nameservers

_HEADER: dict[str, dict[str, str]] = {
    "title": {
        "en": "ozon-probe: the effective configuration of {source}",
        "ru": "ozon-probe: действующие настройки из {source}",
        "zh": "ozon-probe：{source} 的实际生效配置",
    },
    "system": {
        "en": "the `system` resolver is now: {servers} (from {file})",
        "ru": "резолвер `system` сейчас: {servers} (из {file})",
        "zh": "`system` 解析器当前为：{servers}（来自 {file}）",
    },
    "no_system": {
        "en": "the `system` resolver finds no nameserver in {file} now",
        "ru": "резолвер `system` сейчас не находит ни одного nameserver в {file}",
        "zh": "`system` 解析器目前在 {file} 中找不到任何 nameserver",
    },
    "reuse": {
        "en": "save this output and run it with `ozon-probe run -c FILE` to keep it as it is",
        "ru": "сохраните этот вывод и запускайте `ozon-probe run -c ФАЙЛ`, чтобы закрепить "
        "эти настройки",
        "zh": "保存此输出并用 `ozon-probe run -c 文件` 运行，即可固定这些设置",
    },
}


def _duration(seconds: float) -> str:
    """Seconds as the config's duration syntax, exactly: 30s, 2m, 1h, 200ms, 0.5ms."""
    for unit, size in (("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        count = seconds / size
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    ms = round(seconds * 1000, 6)
    if ms == int(ms):
        return f"{int(ms)}ms"
    return f"{ms:f}".rstrip("0") + "ms"


def _size(count: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count and count % size == 0:
            return f"{count // size}{unit}"
    return f"{count}B"


def _kind(kind: str, k: KindSettings) -> dict[str, Any]:
    from agent.probes import KINDS

    out: dict[str, Any] = {"interval": _duration(k.interval), "timeout": _duration(k.timeout)}
    options = KINDS[kind].options  # the keys this kind's `probes.<kind>` section accepts
    if "packets" in options:
        out["packets"] = k.packets
    if "spacing" in options:
        out["spacing"] = _duration(k.spacing)
    return out


def _resolver(r: Resolver) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name}
    if r.system:
        out["address"] = "system"
    elif r.port != 53:
        out["address"] = f"[{r.address}]:{r.port}" if ":" in r.address else f"{r.address}:{r.port}"
    else:
        out["address"] = r.address
    if r.country:
        out["country"] = r.country
    return out


def _target(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {"name": t.name, "group": t.group}
    if t.service:
        out["service"] = t.service
    if t.country:
        out["country"] = t.country
    if t.url:
        out["url"] = t.url
        implied = _url_port(t.url)
        if t.port != implied:
            out["port"] = t.port
    else:
        out["host"] = t.host
        if t.port != 443:
            out["port"] = t.port
    out["probes"] = list(t.probes)
    if t.method != "GET":
        out["method"] = t.method
    if t.body:
        out["body"] = t.body
    if t.expect != Expect():
        expect: dict[str, Any] = {}
        if t.expect.status:
            expect["status"] = list(t.expect.status)
        if t.expect.json_code is not None:
            expect["json_code"] = t.expect.json_code
        out["expect"] = expect
    return out


def _url_port(url: str) -> int:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def _seller_api(s: SellerApiSettings) -> dict[str, Any]:
    return {
        "url": s.url,
        "client_id_env": s.client_id_env,  # the variables' names only, never their values
        "api_key_env": s.api_key_env,
        "interval": _duration(s.interval),
        "timeout": _duration(s.timeout),
    }


def _diagnosis(d: DiagnosisSettings) -> dict[str, Any]:
    plain = ("loss_ratio", "intermittent_count")  # a ratio and a count, not durations
    return {key: (value if key in plain else _duration(value)) for key, value in d.__dict__.items()}


def _throughput(t: ThroughputSettings) -> dict[str, Any]:
    targets = []
    for x in t.targets:
        item: dict[str, Any] = {"name": x.name, "url": x.url, "size": _size(x.size)}
        if x.group != "ozon":
            item["group"] = x.group
        if x.upload_url:
            item["upload_url"] = x.upload_url
            item["upload_size"] = _size(x.upload_size)
        targets.append(item)
    speedtest: dict[str, Any] = {
        "enabled": t.speedtest.enabled,
        "estimate": _size(t.speedtest.estimate),
    }
    if t.speedtest.servers:
        speedtest["servers"] = list(t.speedtest.servers)
    return {
        "enabled": t.enabled,
        "interval": _duration(t.interval),
        "timeout": _duration(t.timeout),
        "daily_budget": _size(t.daily_budget),
        "targets": targets,
        "speedtest": speedtest,
    }


def config_document(config: Config) -> dict[str, Any]:
    """The config as plain data in the config file's own keys."""
    doc: dict[str, Any] = {"listen": _listen(config)}
    if config.listen_tls is not None:
        tls = {"cert_file": config.listen_tls.cert_file, "key_file": config.listen_tls.key_file}
        if config.listen_tls.client_ca_file:
            tls["client_ca_file"] = config.listen_tls.client_ca_file
        doc["listen_tls"] = tls
    doc["site"] = {"name": config.site.name, "country": config.site.country}
    doc["controls"] = config.controls
    doc["max_concurrency"] = config.max_concurrency
    doc["probes"] = {kind: _kind(kind, k) for kind, k in config.probes.items()}
    doc["resolvers"] = [_resolver(r) for r in config.resolvers]
    doc["targets"] = [_target(t) for t in config.targets]
    if config.tls_ca_file:
        doc["tls_ca_file"] = config.tls_ca_file
    doc["seller_api"] = _seller_api(config.seller_api)
    doc["diagnosis"] = _diagnosis(config.diagnosis)
    doc["throughput"] = _throughput(config.throughput)
    return doc


def _listen(config: Config) -> str:
    host = config.listen_host
    return f"[{host}]:{config.listen_port}" if ":" in host else f"{host}:{config.listen_port}"


def show_config(
    config: Config, environ: Mapping[str, str] | None = None, lang: str | None = None
) -> str:
    """The effective config as commented YAML. `config` is as load_config returns it (country
    decided, controls expanded); comments are in the reader's language (from the locale)."""
    env = os.environ if environ is None else environ
    lang = lang or detect_lang(env)

    def say(key: str, **values: str) -> str:
        texts = _HEADER[key]
        return texts.get(lang, texts["en"]).format(**values)

    site = config.site
    resolv_conf = env.get("OZON_PROBE_RESOLV_CONF", "/etc/resolv.conf")
    servers = system_nameservers(resolv_conf)
    lines = [
        say("title", source=config.source),
        # no words of its own: the key, the country's name and the reason's words
        "site.country: {}{}{}{}{}".format(
            site.country,
            "（" if lang == "zh" else " (",
            country_name(site.country, lang),
            "），" if lang == "zh" else "), ",
            country_reason_text(site.country_reason or "config", lang),
        ),
    ]
    if any(r.system for r in config.resolvers):
        if servers:
            listed = ", ".join(f"{a}:{p}" if p != 53 else a for a, p in servers)
            lines.append(say("system", servers=listed, file=resolv_conf))
        else:
            lines.append(say("no_system", file=resolv_conf))
    lines.append(say("reuse"))
    # a file name may hold a line break; the YAML below must stay YAML
    header = "".join("# " + " ".join(line.splitlines()) + "\n" for line in lines)
    body = yaml.safe_dump(
        config_document(config),
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=None,
    )
    return header + body
