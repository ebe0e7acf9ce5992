"""Command line: `statusprobe run | check-config | once | rules | dashboards | demo |
default-config | report`, Prometheus-style flags."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from exporter import __version__, default_config, demo, event_loop, once
from exporter.config import (
    Config,
    ShardConfig,
    literal_secret_warnings,
    load_config,
    load_default_config,
    read_raw,
)
from exporter.dashboards import command as dashboards_command
from exporter.durations import format_duration
from exporter.errors import ConfigError
from exporter.http.server import serve
from exporter.http.web_guard import WebGuard
from exporter.logs import setup_logging
from exporter.report import command as report_command
from exporter.rules import command as rules_command
from exporter.scenarios import april_2026
from exporter.sharding import make_shard

DEFAULT_PORT = 10077  # above the exhausted 9100-9999 exporter range
DEFAULT_LISTEN = f":{DEFAULT_PORT}"
DEMO_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"  # a demo stays on this machine unless told otherwise

log = logging.getLogger("statusprobe")


def parse_listen_address(value: str) -> tuple[str | None, int]:
    """`:10077`, `127.0.0.1:10077`, `[::1]:10077` -> (host or None for all, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(
            f"invalid listen address {value!r}: use HOST:PORT or :PORT (e.g. :{DEFAULT_PORT})"
        )
    if not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(
            f"invalid listen address {value!r}: port {int(port)} is not in 0-65535"
        )
    host = host.strip("[]")
    return (host or None), int(port)


def _speed(value: str) -> float:
    try:
        speed = float(value)
    except ValueError:
        speed = 0.0
    if not 0 < speed <= 3600:
        raise argparse.ArgumentTypeError(f"invalid speed {value!r}: a number from 0 to 3600")
    return speed


LOG_LEVELS = ("debug", "info", "warn", "warning", "error")


def _add_logging_flags(parser: argparse.ArgumentParser, *, default: object) -> None:
    """--log.level and --log.format, before or after the command (`default` SUPPRESS on
    the commands, so a value given before the command is not overwritten)."""
    parser.add_argument(
        "--log.level",
        dest="log_level",
        default=default,
        choices=LOG_LEVELS,
        help="only log messages of this severity or above (default info)",
    )
    parser.add_argument(
        "--log.format",
        dest="log_format",
        default=default,
        choices=["text", "json"],
        help="text for people, json (one object per line) for machines (default text)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statusprobe",
        description="Prometheus exporter: what an upstream's status page says, "
        "next to what your synthetic probes see.",
        epilog="`statusprobe COMMAND --help` describes a command's flags.",
    )
    parser.add_argument("--version", action="version", version=f"statusprobe {__version__}")
    _add_logging_flags(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the exporter")
    run.add_argument(
        "--config.file",
        dest="config_file",
        type=Path,
        help="configuration file (default: the embedded default, which watches "
        "well-known AI-provider and developer-platform status pages)",
    )
    run.add_argument(
        "--web.listen-address",
        dest="listen",
        type=parse_listen_address,
        default=parse_listen_address(DEFAULT_LISTEN),
        help=f"address to serve metrics and the web pages on (default {DEFAULT_LISTEN})",
    )
    run.add_argument(
        "--web.config.file",
        dest="web_config_file",
        type=Path,
        help="TLS, basic auth and headers for every endpoint, in the Prometheus "
        "exporter-toolkit's web-config format (docs/web-config.md)",
    )
    run.add_argument(
        "--web.enable-lifecycle",
        dest="lifecycle",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve POST /-/reload (default on; --no-web.enable-lifecycle turns it off, "
        "SIGHUP still reloads)",
    )
    run.add_argument(
        "--shard.index",
        dest="shard_index",
        type=int,
        metavar="I",
        help="take only the pages and probes whose name hashes into shard I (0 to N-1); "
        "overrides the config's shard: (docs/configuration.md)",
    )
    run.add_argument(
        "--shard.count",
        dest="shard_count",
        type=int,
        metavar="N",
        help="how many shards (replicas) split the config; give with --shard.index",
    )
    check = sub.add_parser("check-config", help="validate a configuration file and exit")
    check.add_argument(
        "--config.file",
        dest="config_file",
        type=Path,
        required=True,
        help="the file to check: every error is printed with its path; exit 1 on any",
    )
    once = sub.add_parser("once", help="poll every page and run every probe once, print a table")
    once.add_argument(
        "--config.file",
        dest="config_file",
        type=Path,
        help="configuration file (default: the embedded default)",
    )
    rules = sub.add_parser(
        "rules", help="render the alerting, recording and SLO rules (YAML) into a directory"
    )
    rules_command.add_arguments(rules, "the rules and the Alertmanager example")
    dashboards = sub.add_parser(
        "dashboards", help="render the Grafana dashboards (JSON) into a directory"
    )
    rules_command.add_arguments(dashboards, "the dashboards")
    demo_ = sub.add_parser(
        "demo", help="play a simulated outage like April 2026's, watched by a live exporter"
    )
    demo_.add_argument(
        "--web.listen-address",
        dest="listen",
        type=parse_listen_address,
        default=parse_listen_address(DEMO_LISTEN),
        help=f"address of the demo's status board and metrics (default {DEMO_LISTEN})",
    )
    demo_.add_argument(
        "--speed",
        type=_speed,
        default=10.0,
        help="how much faster than life the story plays (default 10: a loop of "
        f"{format_duration(april_2026().duration / 10)})",
    )
    default = sub.add_parser(
        "default-config",
        help="print the embedded default config (commented YAML) to copy and edit",
    )
    report = sub.add_parser(
        "report", help="write an outage report per upstream from what Prometheus recorded"
    )
    report.add_argument("--prometheus", required=True, help="Prometheus base URL")
    report.add_argument(
        "--since", required=True, help="RFC 3339, unix seconds, or a duration ago (2h)"
    )
    report.add_argument("--until", help="as --since (default: now)")
    report.add_argument(
        "--output.dir", dest="output_dir", type=Path, help="write here (default: stdout)"
    )
    report.add_argument("--format", default="markdown", choices=report_command.FORMATS)
    for command in (run, check, once, rules, dashboards, demo_, default, report):
        _add_logging_flags(command, default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `statusprobe` alone: what can it do?
        parser.print_help(sys.stderr)
        return 2
    shard = None
    if args.command == "run":
        try:
            shard = make_shard(args.shard_index, args.shard_count)
        except ValueError as exc:
            parser.error(str(exc))  # exits 2, as for any other bad flag
    level = args.log_level or "info"
    setup_logging("warning" if level == "warn" else level, args.log_format or "text")
    if args.command == "check-config":
        return _check_config(args.config_file)
    if args.command == "demo":
        return _demo(args.listen, args.speed)
    if args.command == "default-config":
        return default_config.run()
    if args.command == "report":
        return report_command.run(
            args.prometheus, args.since, args.until, args.output_dir, args.format
        )
    try:
        config = load_config(args.config_file) if args.config_file else load_default_config()
    except ConfigError as exc:
        _print_errors(args.config_file, exc)
        return 1
    if args.command == "rules":
        return rules_command.run(config, args.profile, args.output_dir, args.params)
    if args.command == "dashboards":
        return dashboards_command.run(args.output_dir, args.profile, args.params)
    if args.command == "once":
        return _once(config)
    guard = None
    if args.web_config_file is not None:
        try:
            guard = WebGuard.load(args.web_config_file)
        except ConfigError as exc:
            _print_errors(args.web_config_file, exc)
            return 1
    return _run(config, args.config_file, args.listen, guard, args.lifecycle, shard)


def _print_errors(path: Path | None, exc: ConfigError) -> None:
    print(f"{path or 'embedded default config'}: {len(exc.errors)} error(s)", file=sys.stderr)
    for line in exc.lines():
        print(f"  {line}", file=sys.stderr)


def _check_config(path: Path) -> int:
    try:
        config = load_config(path)
    except ConfigError as exc:
        _print_errors(path, exc)
        return 1
    for warning in literal_secret_warnings(read_raw(path)):
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"{path}: OK ({len(config.status_pages)} status pages, {len(config.probes)} probes, "
        f"{len(config.slos)} SLOs)"
    )
    return 0


def _once(config: Config) -> int:
    pages, probes = asyncio.run(once.run_once(config))
    print(once.render(config, pages, probes))
    return 0


def _run(
    config: Config,
    path: Path | None,
    listen: tuple[str | None, int],
    guard: WebGuard | None,
    lifecycle: bool,
    shard: ShardConfig | None = None,
) -> int:
    serving = serve(config, path, *listen, guard=guard, lifecycle=lifecycle, shard=shard)
    return _serve_until_stopped(serving, listen)


def _demo(listen: tuple[str | None, int], speed: float) -> int:
    return _serve_until_stopped(demo.run(*listen, speed=speed), listen)


def _serve_until_stopped(serving: Coroutine[Any, Any, None], listen: tuple[str | None, int]) -> int:
    """Run a server until it is stopped; 1 when its port cannot be bound."""
    log.debug("event loop: %s", event_loop.loop_name())
    try:
        event_loop.run(serving)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", listen[0] or "*", listen[1], exc.strerror)
        return 1
    return 0
