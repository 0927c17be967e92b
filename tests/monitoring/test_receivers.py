"""The shipped receivers, delivered by a real Alertmanager to local stand-ins of the services:
Telegram's Bot API and WeCom's API (both reachable through `api_url`) and an SMTP server, all on
loopback. The routes, receivers and templates are the shipped ones; only the endpoints and the
timings change. Proves that a seller in China gets WeCom (not Telegram), that Ozon's outage
reaches Telegram and e-mail, and that an absent agent goes to every channel."""

from __future__ import annotations

import copy
import datetime as dt
import json
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from agent.i18n import ALERTS, LANGS

from .stack import ALERTMANAGER_TEMPLATES, start_alertmanager
from .tools import AM_CONFIG, tool

LOOPBACK = "127.0.0.1"


class FakeApi:
    """Records every request (method, path, query, JSON body) and answers with `reply`."""

    def __init__(self, reply: Callable[[str], dict[str, Any]]) -> None:
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                try:
                    body: Any = json.loads(raw) if raw else {}
                except ValueError:
                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                owner.requests.append(
                    {"method": self.command, "path": parts.path,
                     "query": parse_qs(parts.query), "body": body}
                )  # fmt: skip
                out = json.dumps(reply(parts.path)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_address[1]}/"

    def posts(self, path_end: str) -> list[Any]:
        return [r["body"] for r in self.requests if r["path"].endswith(path_end)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def telegram_reply(path: str) -> dict[str, Any]:
    user = {"id": 1, "is_bot": True, "first_name": "ozon-probe", "username": "ozon_probe_bot"}
    if path.endswith("/getMe"):
        return {"ok": True, "result": user}
    message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": 123456789, "type": "private"},
    }
    return {"ok": True, "result": message}


def wecom_reply(path: str) -> dict[str, Any]:
    if path.endswith("gettoken"):
        return {"errcode": 0, "errmsg": "ok", "access_token": "fake-token", "expires_in": 7200}
    return {"errcode": 0, "errmsg": "ok"}


class FakeSmtp:
    """Enough of SMTP (RFC 5321) for Alertmanager's client: no TLS, no AUTH; keeps each
    message's data."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                def say(line: str) -> None:
                    self.wfile.write(line.encode() + b"\r\n")
                    self.wfile.flush()

                say("220 fake-smtp ready")
                while line := self.rfile.readline():
                    cmd = line.decode(errors="replace").strip().upper()
                    if cmd.startswith(("EHLO", "HELO")):
                        say("250-fake-smtp\r\n250 8BITMIME")
                    elif cmd == "DATA":
                        say("354 go on")
                        data = []
                        while (d := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                            data.append(d.decode(errors="replace"))
                        owner.messages.append("".join(data))
                        say("250 queued")
                    elif cmd == "QUIT":
                        say("221 bye")
                        return
                    else:  # MAIL FROM, RCPT TO, RSET, NOOP
                        say("250 ok")

        self.server = socketserver.ThreadingTCPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def receivers_test_config(telegram: str, wecom: str, smtp: str) -> dict[str, Any]:
    cfg = copy.deepcopy(yaml.safe_load(AM_CONFIG.read_text()))
    cfg["global"] = {
        "smtp_smarthost": smtp,
        "smtp_from": "probe@example.org",
        "smtp_require_tls": False,
    }
    cfg["templates"] = [str(ALERTMANAGER_TEMPLATES / "*.tmpl")]
    kinds = set()
    for r in cfg["receivers"]:
        for c in r.get("telegram_configs", []):
            c["api_url"] = telegram.rstrip("/")
        for c in r.get("wechat_configs", []):
            c["api_url"] = wecom
        kinds |= {k for k in r if k.endswith("_configs")}
    assert {"telegram_configs", "wechat_configs", "email_configs"} <= kinds

    def fast(route: dict[str, Any]) -> None:
        for key, value in (("group_wait", "1s"), ("group_interval", "1s")):
            if key in route or route is cfg["route"]:
                route[key] = value
        for child in route.get("routes", []):
            fast(child)

    fast(cfg["route"])
    return dict(cfg)


def _alert(name: str, cause: str, severity: str, instance: str, **labels: str) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "labels": {"alertname": name, "cause": cause, "severity": severity,
                   "job": "ozon-probe", "instance": instance, **labels},
        "annotations": {
            "summary": f"{name} at {instance}",
            "description": f"What to do: test {name} <{instance}>.",
            "runbook_url": f"https://example.org/runbook.md#{name.lower()}",
        },
        "startsAt": (now - dt.timedelta(seconds=60)).isoformat(),
        "endsAt": (now + dt.timedelta(seconds=300)).isoformat(),
    }  # fmt: skip


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def fakes() -> Any:
    tool("prometheus-alertmanager", "alertmanager")
    tg, wc, smtp = FakeApi(telegram_reply), FakeApi(wecom_reply), FakeSmtp()
    yield tg, wc, smtp
    for f in (tg, wc, smtp):
        f.close()


def _texts(tg: FakeApi) -> list[str]:
    return [str(b.get("text", "")) for b in tg.posts("/sendMessage")]


def _wecom_texts(wc: FakeApi) -> list[str]:
    return [str(b["text"]["content"]) for b in wc.posts("/message/send")]


def test_each_receiver_type_delivers_to_its_service(fakes: Any) -> None:
    tg, wc, smtp = fakes
    cfg = receivers_test_config(tg.url, wc.url, smtp.address)
    with start_alertmanager(cfg) as am:
        am.post_alerts(
            [
                # Russia: Ozon's outage -> Telegram and e-mail
                _alert("OzonPlatformOutage", "platform_outage", "critical", "moscow:10043"),
                # China: the same -> WeCom, and not Telegram
                _alert(
                    "OzonPlatformOutage",
                    "platform_outage",
                    "critical",
                    "shenzhen:10043",
                    country="CN",
                ),
                # the agent gone -> every channel
                _alert("OzonProbeAgentAbsent", "agent", "critical", "kazan:10043"),
            ]
        )
        _wait(lambda: any("kazan" in t for t in _texts(tg)), "Telegram: agent absent")
        _wait(lambda: any("kazan" in t for t in _wecom_texts(wc)), "WeCom: agent absent")
        _wait(lambda: any("kazan" in m for m in smtp.messages), "e-mail: agent absent")
        _wait(lambda: any("moscow" in t for t in _texts(tg)), "Telegram: Ozon outage")
        _wait(lambda: any("moscow" in m for m in smtp.messages), "e-mail: Ozon outage")
        _wait(lambda: any("shenzhen" in t for t in _wecom_texts(wc)), "WeCom: China outage")
        time.sleep(2)  # more than group_wait + group_interval: anything misrouted is out now

    texts, wecom = _texts(tg), _wecom_texts(wc)
    assert not any("shenzhen" in t for t in texts), "a seller in China was sent to Telegram"
    assert not any("moscow" in t for t in wecom)
    # Telegram: the shipped template, HTML-escaped, with the runbook link, to the chat id
    outage = next(b for b in tg.posts("/sendMessage") if "moscow" in str(b.get("text")))
    assert str(outage["chat_id"]) == "123456789" and outage["parse_mode"] == "HTML"
    assert "What to do: test OzonPlatformOutage &lt;moscow:10043&gt;." in outage["text"]
    assert '<a href="https://example.org/runbook.md#ozonplatformoutage">' in outage["text"]
    assert all("/botREPLACE_ME_WITH_THE_BOT_TOKEN/" in r["path"] for r in tg.requests)
    # WeCom: a token fetched with the corp id and secret, then a plain-text message to @all
    tokens = [r for r in wc.requests if r["path"].endswith("gettoken")]
    assert tokens and tokens[0]["query"]["corpid"] == ["REPLACE_ME_CORP_ID"]
    send = next(b for b in wc.posts("/message/send") if "shenzhen" in b["text"]["content"])
    assert send["touser"] == "@all" and send["msgtype"] == "text"
    assert "What to do: test OzonPlatformOutage <shenzhen:10043>." in send["text"]["content"]
    # in Chinese: the shipped WeCom receiver names the .zh templates
    assert "处理手册: https://example.org/runbook.md#ozonplatformoutage" in send["text"]["content"]
    assert "🛒 Ozon 方面: " in send["text"]["content"]
    assert "REPLACE_ME_SECRET" not in json.dumps(wc.posts("/message/send"))
    # e-mail: the subject template, and the runbook link in the text
    mail = next(m for m in smtp.messages if "moscow" in m)
    # in Russian (the shipped e-mail receivers name the .ru templates), MIME-encoded
    subject = str(_mail(mail)["Subject"])
    assert subject.startswith("[ozon-probe] CRITICAL: 🛒 сторона Ozon: "), subject
    text = _mail_text(mail)
    assert "Инструкция: https://example.org/runbook.md#ozonplatformoutage" in text, text


def _mail(raw: str) -> Any:
    import email
    from email import policy

    return email.message_from_string(raw, policy=policy.default)


def _mail_text(raw: str) -> str:
    """The decoded text part of a message as the fake SMTP server kept it."""
    msg = _mail(raw)
    part = msg.get_body(("plain",)) if msg.is_multipart() else msg
    assert part is not None
    return str(part.get_content())  # type: ignore[union-attr]


def _worded_alert(instance: str, ends_in: float, **labels: str) -> dict[str, Any]:
    """LocalNetworkDown with its annotations in every language, as Prometheus sends it."""
    alert = _alert("LocalNetworkDown", "local_network", "critical", instance, **labels)
    for lang in LANGS:
        s = "" if lang == "en" else f"_{lang}"
        summary, description = ALERTS["LocalNetworkDown"][lang]
        alert["annotations"][f"summary{s}"] = summary.replace("{{ $labels.instance }}", instance)
        alert["annotations"][f"description{s}"] = description
    alert["endsAt"] = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ends_in)).isoformat()
    return alert


def test_firing_and_resolved_reach_each_reader_in_their_language(fakes: Any) -> None:
    """Telegram in Russian, WeCom in Chinese: a firing message, then a resolved one that says
    so in its headline, delivered by a real Alertmanager through the shipped receivers."""
    tg, wc, smtp = fakes
    cfg = receivers_test_config(tg.url, wc.url, smtp.address)
    ru, zh = ALERTS["LocalNetworkDown"]["ru"], ALERTS["LocalNetworkDown"]["zh"]
    with start_alertmanager(cfg) as am:
        am.post_alerts(
            [
                _worded_alert("moscow:10043", 300),
                _worded_alert("shenzhen:10043", 300, country="CN"),
            ]
        )
        _wait(lambda: any("moscow" in t for t in _texts(tg)), "Telegram: firing")
        _wait(lambda: any("shenzhen" in t for t in _wecom_texts(wc)), "WeCom: firing")
        # the fault is over: Prometheus sends the alerts again with endsAt in the past
        am.post_alerts(
            [
                _worded_alert("moscow:10043", -1),
                _worded_alert("shenzhen:10043", -1, country="CN"),
            ]
        )
        _wait(lambda: any("РЕШЕНО" in t for t in _texts(tg)), "Telegram: resolved")
        _wait(lambda: any("已恢复" in t for t in _wecom_texts(wc)), "WeCom: resolved")

    firing = next(t for t in _texts(tg) if "moscow" in t)
    resolved = next(t for t in _texts(tg) if "РЕШЕНО" in t)
    head = ru[0].replace("{{ $labels.instance }}", "moscow:10043")
    assert firing.startswith(f"🔴 <b>🏠 ваша сторона: {head}</b>"), firing
    assert ru[1] in firing and "Начало: " in firing and "Инструкция</a>" in firing
    assert resolved.startswith(f"✅ РЕШЕНО <b>🏠 ваша сторона: {head}</b>"), resolved
    assert ", конец: " in resolved
    assert not any("shenzhen" in t for t in _texts(tg))

    wfiring = next(t for t in _wecom_texts(wc) if "shenzhen" in t and "已恢复" not in t)
    wresolved = next(t for t in _wecom_texts(wc) if "已恢复" in t)
    zhead = zh[0].replace("{{ $labels.instance }}", "shenzhen:10043")
    assert wfiring.startswith(f"🔴 🏠 您这边: {zhead}"), wfiring
    assert zh[1] in wfiring and "开始: " in wfiring
    assert wresolved.startswith(f"✅ 已恢复 🏠 您这边: {zhead}"), wresolved
    assert "结束: " in wresolved
