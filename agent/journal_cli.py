"""The journal's commands: `ozon-probe report` and `ozon-probe note TEXT` (wired in agent/cli.py).

Both read the journal the daemon writes (SQLite allows a reader beside the writer), so they
work while the service runs. Usage errors are one line and exit 2, like a bad config.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from agent.config import Config, system_timezone
from agent.i18n import describe
from agent.journal import FILENAME, Journal, resolve_state_dir
from agent.journal_report import build_report, render

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
_AGO_RE = re.compile(r"^(\d+)(m|h|d)$")
_AGO_UNITS = {"m": 60, "h": 3600, "d": 86400}
SERVICE_DIR = Path("/var/lib/ozon-probe")


class UsageError(Exception):
    pass


def add_commands(sub: Any) -> None:
    """Adds `report` and `note` to the subcommands of agent/cli.py's parser."""
    rep = sub.add_parser("report", help="a report of recent incidents to send to Ozon or your ISP")
    rep.add_argument("-c", "--config", help="config file (YAML): state_dir, site.timezone")
    rep.add_argument(
        "--since", default="24h", help="how far back: 24h, 7d, or a date 2026-05-01 (your time)"
    )
    rep.add_argument("--incident", type=int, metavar="ID", help="only this incident")
    rep.add_argument("--lang", choices=["en", "ru", "zh"], help="language (default: locale)")
    rep.add_argument("--format", choices=["md", "html", "json"], default="md")
    rep.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    rep.add_argument("--state-dir", metavar="DIR", help="where the journal is")
    note = sub.add_parser("note", help='add a note to the journal: ozon-probe note "orders stuck"')
    note.add_argument("text", nargs="+", help="what you saw")
    note.add_argument("-c", "--config", help="config file (YAML): state_dir")
    note.add_argument("--state-dir", metavar="DIR", help="where the journal is")


def parse_since(text: str, now: float, tz: ZoneInfo) -> float:
    """'24h', '7d', '90m' back from now, or a date / date and time in the seller's zone."""
    m = _AGO_RE.match(text.strip())
    if m:
        return now - int(m.group(1)) * _AGO_UNITS[m.group(2)]
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--since: not a time: {text!r} (use 24h, 7d or a date like 2026-05-01)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.timestamp()


def _secrets(config: Config) -> list[str]:
    return [
        v for k in (config.seller_api.api_key_env,) if (v := os.environ.get(k, "")) and len(v) >= 4
    ]


def _open(config: Config, flag: str | None) -> Journal:
    state = resolve_state_dir(flag, config.state_dir or None)
    return Journal.open(
        state,
        retention_days=config.journal.retention_days,
        max_bytes=config.journal.max_bytes,
        secrets=_secrets(config),
    )


def run(args: argparse.Namespace, config: Config, lang: str) -> int:
    try:
        if args.command == "note":
            return _note(args, config)
        return _report(args, config, lang)
    except UsageError as e:
        sys.stderr.write(f"ozon-probe: {e}\n")
        return EXIT_USAGE


def _note(args: argparse.Namespace, config: Config) -> int:
    journal = _open(config, args.state_dir)
    if not journal.healthy:
        sys.stderr.write(f"ozon-probe: {journal.problem}\n")
        return EXIT_FAIL
    nid = journal.add_note(" ".join(args.text))
    if not nid:
        sys.stderr.write(f"ozon-probe: {journal.problem or 'an empty note is not kept'}\n")
        return EXIT_FAIL
    print(f"note {nid} saved in {journal.path}")
    return EXIT_OK


def _report(args: argparse.Namespace, config: Config, lang: str) -> int:
    tz = ZoneInfo(config.site.timezone or system_timezone())
    now = time.time()
    since = parse_since(args.since, now, tz)
    state = resolve_state_dir(args.state_dir, config.state_dir or None)
    if not (state / FILENAME).exists() and (SERVICE_DIR / FILENAME).exists():
        # a person's own state directory is not the service's: say where the agent's journal is
        sys.stderr.write(
            f"ozon-probe: no journal in {state}; the service keeps its journal in {SERVICE_DIR}:"
            f" ozon-probe report --state-dir {SERVICE_DIR} (as root)\n"
        )
        return EXIT_FAIL
    journal = _open(config, args.state_dir)
    if not journal.healthy:
        sys.stderr.write(f"ozon-probe: {journal.problem}\n")
        return EXIT_FAIL
    if journal.problem:
        sys.stderr.write(f"ozon-probe: {journal.problem}\n")
    if args.incident is not None and journal.incident(args.incident) is None:
        raise UsageError(f"--incident: no incident {args.incident} in {journal.path}")
    report = build_report(
        journal,
        since=since,
        incident_id=args.incident,
        lang=lang,
        tz=tz,
        site=config.site.name,
        now=now,
        describe=describe,  # the reason codes in the reader's words (agent/i18n.py)
    )
    text = render(report, args.format, lang)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as e:
            sys.stderr.write(f"ozon-probe: cannot write {args.output}: {e.strerror or e}\n")
            return EXIT_FAIL
    else:
        sys.stdout.write(text)
    return EXIT_OK
