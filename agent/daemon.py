"""The long-running agent: the Runtime (scheduler, store, diagnosis) plus the HTTP server and
signal handling.

SIGHUP reloads the config file; a broken file is refused with one log line and the running
config stays. Reloads are serialized: one at a time, and a burst of signals while one runs
collapses into one more reload of the newest file. SIGTERM and SIGINT stop cleanly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from collections.abc import Mapping
from typing import Any

from agent.config import Config, ConfigError, load_config
from agent.exporter import make_registry
from agent.runtime import Runtime
from agent.web.page import render_page
from agent.web.server import AgentServer

log = logging.getLogger("ozon_probe")


class Agent:
    def __init__(
        self,
        config: Config,
        config_path: str | None = None,
        environ: Mapping[str, str] | None = None,
        state_dir: str | None = None,
    ) -> None:
        self.config_path = config_path
        self.runtime = Runtime(config, environ)
        self.runtime.open_journal(state_dir)
        self.registry = make_registry(self.runtime)
        self.server = AgentServer(
            self.registry,
            healthy=self.runtime.healthy,
            status=self.status,
            page=self._page,
            discovery=self._discovery,
            auth=config.listen_auth,
            # a reload, refused or not, shows in the very next scrape, not a second-old render
            metrics_epoch=lambda: self.runtime.reload_epoch,
            routes={
                "/api/history": self._history,
                "/api/incidents": self._incidents,
                "/report": self._report,
            },
        )
        self._stopping: asyncio.Event | None = None
        self._reload_wanted = asyncio.Event()

    @property
    def config(self) -> Config:
        return self.runtime.config

    def status(self, lang: str = "en") -> dict[str, Any]:
        return self.runtime.status(lang)

    def _page(self, environ: dict[str, Any]) -> tuple[str, bytes]:
        return render_page(self.runtime, environ)

    def _history(self, environ: dict[str, Any]) -> tuple[str, bytes]:
        from agent.journal_api import history_document

        doc = history_document(self.runtime.journal) if self.runtime.journal else {}
        return "application/json; charset=utf-8", json.dumps(doc, ensure_ascii=False).encode()

    def _incidents(self, environ: dict[str, Any]) -> tuple[str, bytes]:
        from agent.journal_api import incidents_document

        since = time.time() - 7 * 86400
        doc = incidents_document(self.runtime.journal, since) if self.runtime.journal else {}
        return "application/json; charset=utf-8", json.dumps(doc, ensure_ascii=False).encode()

    def _report(self, environ: dict[str, Any]) -> tuple[str, bytes]:
        """The last day's report as one printable HTML file, in the page's language."""
        from agent.i18n import describe
        from agent.journal_report import build_report, render
        from agent.web.page import page_lang

        lang = page_lang(environ)
        journal = self.runtime.journal
        if journal is None:
            return "text/plain; charset=utf-8", b"no journal\n"
        report = build_report(
            journal,
            since=time.time() - 86400,
            lang=lang,
            tz=self.config.site.timezone or None,
            describe=describe,
            site=self.config.site.name,
        )
        return "text/html; charset=utf-8", render(report, "html", lang).encode()

    def _discovery(self, environ: dict[str, Any]) -> list[dict[str, Any]]:
        """The agent as one Prometheus scrape target (http_sd_configs), labelled with its site
        and country, so that every series a central store receives says where it was seen."""
        host = str(environ.get("HTTP_HOST") or f"{self.config.listen_host}:{self.server.port}")
        site = self.config.site
        return [{"targets": [host], "labels": {"site": site.name, "country": site.country}}]

    async def reload(self) -> bool:
        if self.config_path is None:
            log.info("SIGHUP: running the built-in default profile; nothing to reload")
            return True
        try:
            # parsed off the event loop: a large file must not stall the probes' timing
            new = await asyncio.to_thread(load_config, self.config_path)
            # a kind whose extra is missing would fail every round: refused like a bad file
            from agent.extras import first_line, missing_extras

            if problems := missing_extras(new):
                raise ConfigError(first_line(problems))
        except ConfigError as e:
            log.error("reload refused, the running config stays: %s", e)
            self.runtime.reload_result(False)
            return False
        old = self.config
        if (new.listen_host, new.listen_port, new.listen_tls, new.listen_auth) != (
            old.listen_host,
            old.listen_port,
            old.listen_tls,
            old.listen_auth,
        ):
            log.warning(
                "reload: listen, listen_tls and listen_auth changes take effect after a restart"
            )
        self.runtime.replace_config(new)
        await self.runtime.scheduler.replace_config(new)
        self.runtime.reload_result(True)
        log.info("reloaded %s: %d targets", self.config_path, len(new.targets))
        return True

    async def _reloader(self) -> None:
        """One reload at a time: a SIGHUP during a reload is remembered (once), and served
        after it, with the file as it is then."""
        while True:
            await self._reload_wanted.wait()
            self._reload_wanted.clear()
            try:
                await self.reload()
            except Exception:  # a reload must never take the probing down
                log.exception("reload failed; the running config stays")
                self.runtime.reload_result(False)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        loop.add_signal_handler(signal.SIGHUP, self._reload_wanted.set)
        loop.add_signal_handler(signal.SIGTERM, self._stopping.set)
        loop.add_signal_handler(signal.SIGINT, self._stopping.set)
        c = self.config
        try:
            self.server.start(c.listen_host, c.listen_port, c.listen_tls)
        except OSError as e:
            log.error("cannot listen on %s:%d: %s", c.listen_host, c.listen_port, e.strerror)
            return 1
        scheme = "https" if c.listen_tls else "http"
        log.info(
            "ozon-probe running %s: %d targets; metrics at %s://%s:%d/metrics",
            c.source,
            len(c.targets),
            scheme,
            c.listen_host,
            self.server.port,
        )
        self.runtime.scheduler.start()
        reloader = asyncio.create_task(self._reloader(), name="reload")
        fleet = asyncio.create_task(self.runtime.fleet_loop(), name="fleet")
        await self._stopping.wait()
        log.info("stopping")
        reloader.cancel()
        fleet.cancel()
        await self.runtime.scheduler.stop()
        self.server.stop()
        return 0


def run_agent(config: Config, config_path: str | None, state_dir: str | None = None) -> int:
    return asyncio.run(Agent(config, config_path, state_dir=state_dir).run())
