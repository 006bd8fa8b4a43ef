"""``event-driven``: the advisor on the command line, for people and CI pipelines.

Exit codes: 0 valid, 1 invalid (the result says why), 2 usage error (bad arguments, unreadable file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {source}")
    return path.read_text(encoding="utf-8")


def _print_text(result) -> None:  # type: ignore[no-untyped-def]
    out = sys.stdout
    out.write(result.summary + "\n")
    for err in result.errors:
        out.write(f"  error   {err.path}: {err.message}\n")
    for w in result.warnings:
        out.write(f"  {w.severity:<7} {w.rule_id}: {w.message}\n          -> {w.recommendation}\n")
    if result.valid:
        n = result.normalized
        out.write(
            f"  normalized: use_case={n.use_case} throughput={n.throughput_msg_per_s} msg/s latency={n.latency_ms} ms "
            f"ordering={n.ordering} delivery={n.delivery} retention={n.retention_hours} h\n"
        )


def cmd_validate(args: argparse.Namespace) -> int:
    from event_driven import validate_context

    try:
        text = _read(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        sys.stderr.write(f"event-driven validate: cannot read {args.file}: {exc}\n")
        return EXIT_USAGE
    result = validate_context(text)
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        _print_text(result)
    return EXIT_OK if result.valid else EXIT_INVALID


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="event-driven", description="Event-driven architecture advisor.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = sub.add_parser("validate", help="validate an event context (YAML or JSON)")
    validate.add_argument("file", metavar="FILE|-", help="a YAML or JSON file, or - for standard input")
    validate.add_argument("--format", choices=["text", "json"], default="text")
    validate.set_defaults(handler=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    from event_driven.kb.loader import KnowledgeError

    try:
        return int(args.handler(args))
    except KnowledgeError as exc:
        sys.stderr.write(f"event-driven: {exc}\n")
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
