"""The `ozon-probe` command: run (the daemon), check (one round now, a report), validate.

Exit codes: 0 ok, 2 bad config or usage (one line on stderr), 1 anything else; `check` exits 1
when the verdict is not `ok`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any

from agent import __version__, journal_cli
from agent.config import Config, ConfigError, load_config, load_default

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2, as for a bad config
        sys.stderr.write(f"ozon-probe: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ozon-probe", description="Is it my network, my ISP, DNS, or Ozon?")
    p.add_argument("--version", action="version", version=f"ozon-probe {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser("run", help="run the agent (without -c: the built-in default profile)")
    run.add_argument("-c", "--config", help="config file (YAML)")
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    run.add_argument("--state-dir", help="where the incident journal lives (docs/journal.md)")
    val = sub.add_parser("validate", help="check a config file and exit")
    val.add_argument("-c", "--config", required=True, help="config file (YAML)")
    chk = sub.add_parser("check", help="probe everything once now and say what is wrong")
    chk.add_argument("-c", "--config", help="config file (YAML)")
    chk.add_argument("--json", action="store_true", help="print the report as JSON")
    chk.add_argument("--state-dir", help="the incident journal to add this check to")
    chk.add_argument("--lang", choices=["en", "ru", "zh"], help="report language (default: locale)")
    chk.add_argument(
        "--path",
        action="store_true",
        help="also trace the path to each Ozon host (hops, worst hop, MTU) and ARP the gateway"
        " (raw sockets: root or CAP_NET_RAW)",
    )
    chk.add_argument(
        "--throughput",
        action="store_true",
        help="also run the configured throughput tests (uses data, inside the daily budget)",
    )
    cfg = sub.add_parser("config", help="show the effective config")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", parser_class=_Parser)
    cfg_sub.required = True
    show = cfg_sub.add_parser(
        "show", help="print the effective config (country and why, built-in controls) as YAML"
    )
    show.add_argument("-c", "--config", help="config file (YAML; without: the built-in default)")
    journal_cli.add_commands(sub)  # `report` and `note`: the incident journal's commands
    return p


class _OneLine(logging.Formatter):
    """Every log record on one line, whatever a peer put into it: a server's message with a
    newline or an ANSI escape must not forge a log line or repaint a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        head, sep, trace = text.partition("\nTraceback")  # our own tracebacks stay readable
        return _escape(head) + (sep + trace if sep else "")


def _escape(text: str) -> str:
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def _setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    logging.basicConfig(level=getattr(logging, level.upper()), handlers=[handler])


def _load(path: str | None) -> Config:
    return load_config(path) if path else load_default()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help(sys.stderr)
        return EXIT_USAGE
    try:
        config = _load(args.config)
    except ConfigError as e:
        sys.stderr.write(f"ozon-probe: {e}\n")
        return EXIT_USAGE
    # a probe kind whose pip extra is missing: refused now, in one line, not at its first round
    from agent.extras import first_line, missing_extras

    if problems := missing_extras(config, path_check=getattr(args, "path", False)):
        sys.stderr.write(f"ozon-probe: {first_line(problems)}\n")
        return EXIT_USAGE
    if args.command == "validate":
        print(f"{args.config}: ok ({len(config.targets)} targets)")
        return EXIT_OK
    if args.command == "config":
        from agent.configshow import show_config

        sys.stdout.write(show_config(config))
        return EXIT_OK
    # credentials that would inject a header line are refused now, in one line, not sent
    problem = config.seller_api.credential_problem(os.environ)
    if problem:
        sys.stderr.write(f"ozon-probe: {problem}\n")
        return EXIT_USAGE
    if args.command in ("report", "note"):
        from agent.i18n import detect_lang

        return journal_cli.run(args, config, getattr(args, "lang", None) or detect_lang())
    try:
        if args.command == "run":
            _setup_logging(args.log_level)
            from agent.daemon import run_agent

            return run_agent(config, args.config, args.state_dir)
        if args.command == "check":
            _setup_logging("warning")
            from agent.report import run_check

            return asyncio.run(
                run_check(
                    config,
                    as_json=args.json,
                    lang=args.lang,
                    throughput=args.throughput,
                    path=args.path,
                    state_dir=args.state_dir,
                )
            )
    except KeyboardInterrupt:
        return EXIT_FAIL
    return EXIT_USAGE
