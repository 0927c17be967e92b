"""The long-running agent: scheduler + store + diagnosis + HTTP server, with signal handling.

SIGHUP reloads the config file; a broken file is refused with one log line and the running
config stays. SIGTERM and SIGINT stop cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Mapping
from typing import Any

from agent.config import Config, ConfigError, load_config
from agent.diagnosis import Diagnoser
from agent.exporter import make_registry
from agent.results import ProbeResult
from agent.scheduler import Scheduler
from agent.server import AgentServer
from agent.statuspage import render_page
from agent.store import ResultStore

log = logging.getLogger("ozon_probe")


class Agent:
    def __init__(
        self,
        config: Config,
        config_path: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.store = ResultStore()
        self.diagnoser = Diagnoser(config, self.store)
        env = dict(os.environ if environ is None else environ)
        self.scheduler = Scheduler(
            config,
            self.store,
            environ=env,
            on_round=self._after_round,
            # where the system resolvers are listed: systemd-resolved users may point this at
            # /run/systemd/resolve/resolv.conf to probe the real upstreams, tests at their own
            resolv_conf=env.get("OZON_PROBE_RESOLV_CONF", "/etc/resolv.conf"),
        )
        self.registry = make_registry(self.store, lambda: self.config)
        self.server = AgentServer(
            self.registry, healthy=self.healthy, status=self.status, page=self._page
        )
        self._stopping: asyncio.Event | None = None
        self.store.set_extra("resolvers", self.scheduler.resolvers)
        self.store.set_extra("reload_ok", True)
        self.store.set_extra("reload_at", time.time())

    def refresh(self) -> None:
        """Publish what the last rounds learned about this machine and decide the verdict
        again: after every round in the daemon, once after `check`'s single round."""
        if self.scheduler.icmp.mode:
            self.store.set_extra("icmp_mode", self.scheduler.icmp.mode)
        # the resolvers the probes really asked (resolv.conf is re-read every round)
        self.store.set_extra("resolvers", self.scheduler.resolvers)
        before = self.diagnoser.current.cause if self.diagnoser.current else None
        diag = self.diagnoser.update()
        if diag.cause != before:
            log.info("verdict: %s (%s)", diag.cause, diag.summary)

    def _after_round(self, kind: str, results: list[ProbeResult]) -> None:
        self.refresh()
        for r in results:
            if not r.ok and r.error is not None:
                log.debug("%s %s failed: %s %s", r.kind, r.target, r.error.value, r.detail)

    def healthy(self) -> tuple[bool, str]:
        if not self.scheduler.last_round_at:
            return True, "starting"
        # only the kinds that run: an unused kind's long interval must not loosen the check
        longest = max([self.scheduler.interval(k) for k in self.scheduler.kinds()] + [1.0])
        age = time.time() - self.scheduler.last_round_at
        if age > 3 * longest + 30:
            return False, f"no probe round finished for {age:.0f}s"
        return True, "ok"

    def status(self) -> dict[str, Any]:
        return self.diagnoser.status_document()

    def _page(self, environ: dict[str, Any]) -> tuple[str, bytes]:
        return render_page(self.status(), environ)

    async def reload(self) -> bool:
        if self.config_path is None:
            log.info("SIGHUP: running the built-in default profile; nothing to reload")
            return True
        try:
            new = load_config(self.config_path)
        except ConfigError as e:
            log.error("reload refused, the running config stays: %s", e)
            self.store.set_extra("reload_ok", False)
            self.store.set_extra("reload_at", time.time())
            return False
        if (new.listen_host, new.listen_port, new.listen_tls) != (
            self.config.listen_host,
            self.config.listen_port,
            self.config.listen_tls,
        ):
            log.warning("reload: listen and listen_tls changes take effect after a restart")
        self.config = new
        self.diagnoser.replace_config(new)
        await self.scheduler.replace_config(new)
        self.store.set_extra("resolvers", self.scheduler.resolvers)
        self.store.set_extra("reload_ok", True)
        self.store.set_extra("reload_at", time.time())
        log.info("reloaded %s: %d targets", self.config_path, len(new.targets))
        return True

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        pending: set[asyncio.Task[bool]] = set()

        def on_hup() -> None:
            task = asyncio.create_task(self.reload())
            pending.add(task)
            task.add_done_callback(pending.discard)

        loop.add_signal_handler(signal.SIGHUP, on_hup)
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
            c.source, len(c.targets), scheme, c.listen_host, self.server.port,
        )  # fmt: skip
        self.scheduler.start()
        await self._stopping.wait()
        log.info("stopping")
        await self.scheduler.stop()
        self.server.stop()
        return 0


def run_agent(config: Config, config_path: str | None) -> int:
    return asyncio.run(Agent(config, config_path).run())
