"""The `ozon-probe` command: run (the daemon), check (one round now, a report), validate.

Exit codes: 0 ok, 2 bad config or usage (one line on stderr), 1 anything else; `check` exits 1
when the verdict is not `ok`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from agent import __version__
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
    val = sub.add_parser("validate", help="check a config file and exit")
    val.add_argument("-c", "--config", required=True, help="config file (YAML)")
    chk = sub.add_parser("check", help="probe everything once now and say what is wrong")
    chk.add_argument("-c", "--config", help="config file (YAML)")
    chk.add_argument("--json", action="store_true", help="print the report as JSON")
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
    return p


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        stream=sys.stderr,
    )


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
    if args.command == "validate":
        print(f"{args.config}: ok ({len(config.targets)} targets)")
        return EXIT_OK
    try:
        if args.command == "run":
            _setup_logging(args.log_level)
            from agent.daemon import run_agent

            return run_agent(config, args.config)
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
                )
            )
    except KeyboardInterrupt:
        return EXIT_FAIL
    return EXIT_USAGE
