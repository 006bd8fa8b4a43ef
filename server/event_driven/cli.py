"""``event-driven``: the advisor on the command line, for people and CI pipelines.

Exit codes: 0 success (``validate``: valid), 1 invalid input (the output says which field and why), 2 usage error
(bad arguments, unreadable file, refusing to overwrite).

``select`` and ``plan`` read a file holding the event context, or an object with ``event_context`` and optionally
``constraints``, ``broker`` and ``options``. ``plan --out DIR`` writes the rendered artifacts under DIR only, refuses to
overwrite an existing file without ``--force``, and writes nothing at all when any target is refused.
"""

from __future__ import annotations

import argparse
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


REQUEST_KEYS = ("event_context", "constraints", "broker", "options")


def _load_yaml(source: str) -> object:
    import yaml

    try:
        return yaml.safe_load(_read(source))
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML or JSON: {exc}") from None


def _load_request(source: str) -> dict:
    data = _load_yaml(source)
    if isinstance(data, dict) and "event_context" in data:
        unknown = sorted(set(data) - set(REQUEST_KEYS))
        if unknown:
            raise ValueError(f"unknown top-level keys {unknown}; allowed next to event_context: {', '.join(REQUEST_KEYS[1:])}")
        for key in ("constraints", "options"):
            if data.get(key) is not None and not isinstance(data[key], dict):
                raise ValueError(f"'{key}' must be a mapping of names to values, got {type(data[key]).__name__}")
        if data.get("broker") is not None and not isinstance(data["broker"], str):
            raise ValueError(f"'broker' must be a string such as 'kafka', got {type(data['broker']).__name__}")
        return data
    return {"event_context": data}


def _print_input_errors(exc) -> None:  # type: ignore[no-untyped-def]
    sys.stderr.write("invalid input:\n")
    for err in exc.errors:
        sys.stderr.write(f"  {err.path} ({err.code}): {err.message}\n")


def cmd_select(args: argparse.Namespace) -> int:
    from event_driven.core.selection import SelectionInputError, select
    from event_driven.kb.loader import knowledge

    try:
        request = _load_request(args.file)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        sys.stderr.write(f"event-driven select: cannot read {args.file}: {exc}\n")
        return EXIT_USAGE
    constraints = dict(request.get("constraints") or {})
    for key in ("cloud", "deployment", "max_complexity"):
        if getattr(args, key):
            constraints[key] = getattr(args, key)
    if args.existing:
        constraints["existing_brokers"] = args.existing
    try:
        result = select(request.get("event_context"), knowledge(), constraints or None)
    except SelectionInputError as exc:
        _print_input_errors(exc)
        return EXIT_INVALID
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return EXIT_OK
    out = sys.stdout
    out.write(f"winner: {result.winner}   runner-up: {result.runner_up}\n")
    for line in result.why_winner:
        out.write(f"  - {line}\n")
    out.write("\nrank  option                      score  verdict\n")
    for r in result.rankings:
        verdict = "disqualified: " + r.disqualifiers[0] if r.disqualified else ", ".join(
            f"{f.requirement} {f.fit}" for f in r.fits if f.weight)
        out.write(f"{r.rank:>4}  {r.option:<26} {r.score:>6}  {verdict}\n")
    for w in result.warnings:
        out.write(f"\nwarning {w.severity} {w.rule_id}: {w.message}\n  -> {w.recommendation}\n")
    return EXIT_OK


def _targets(out_dir: Path, relative_paths: list[str]) -> list[Path]:
    root = out_dir.resolve()
    targets = []
    for rel in relative_paths:
        candidate = (root / rel).resolve()
        if Path(rel).is_absolute() or not candidate.is_relative_to(root):
            raise ValueError(f"artifact path {rel!r} would escape {out_dir}")
        targets.append(candidate)
    return targets


def _mode(path: Path) -> int:
    return 0o755 if path.suffix == ".sh" else 0o644


def _write_all(files: dict[Path, str]) -> None:
    """Write every file to a temporary sibling first, then move them all into place.

    A failure while writing leaves no target touched; the final renames are atomic per file.
    """
    import os
    import tempfile

    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.chmod(tmp, _mode(path))
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)


def _blocked(root: Path, target: Path) -> str | None:
    """Why target cannot be written (a file where a directory must go, or a directory at the target)."""
    if target.is_dir():
        return f"{target} is a directory"
    for parent in target.relative_to(root).parents:
        folder = root / parent
        if folder.exists() and not folder.is_dir():
            return f"{folder} is a file, but {target.relative_to(root)} needs it to be a directory"
    return None


def _write_files(command: str, out_dir: Path, contents: dict[str, str], force: bool) -> int:
    """Write every file under out_dir, or none: never outside it, never over an existing file without force."""
    if out_dir.exists() and not out_dir.is_dir():
        sys.stderr.write(f"event-driven {command}: {out_dir} exists and is not a directory\n")
        return EXIT_USAGE
    try:
        targets = dict(zip(_targets(out_dir, list(contents)), contents.values()))
    except ValueError as exc:
        sys.stderr.write(f"event-driven {command}: {exc}\n")
        return EXIT_USAGE
    root = out_dir.resolve()
    blocked = [reason for p in targets if (reason := _blocked(root, p))]
    if blocked:
        sys.stderr.write(f"event-driven {command}: cannot write: " + "; ".join(blocked) + "\nnothing was written\n")
        return EXIT_USAGE
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        sys.stderr.write(f"event-driven {command}: refusing to overwrite (pass --force): "
                         + ", ".join(str(p) for p in existing) + "\nnothing was written\n")
        return EXIT_USAGE
    try:
        _write_all(targets)
    except OSError as exc:
        sys.stderr.write(f"event-driven {command}: cannot write under {out_dir}: {exc}\nnothing was written\n")
        return EXIT_USAGE
    return EXIT_OK


def cmd_tests(args: argparse.Namespace) -> int:
    from event_driven.app.testgen import TestGenInputError, generate_tests
    from event_driven.core.topology.planner import PlanInputError
    from event_driven.kb.loader import knowledge

    try:
        data = _load_yaml(args.file)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        sys.stderr.write(f"event-driven tests: cannot read {args.file}: {exc}\n")
        return EXIT_USAGE
    options: dict = {}
    source = data
    if isinstance(data, dict) and ("event_context" in data or "plan" in data) and not ("broker" in data and "topology" in data):
        source = data.get("plan", data.get("event_context"))
        if data.get("options") is not None and not isinstance(data["options"], dict):
            sys.stderr.write("event-driven tests: 'options' must be a mapping of names to values\n")
            return EXIT_USAGE
        if "plan" not in data:
            # The same request file as `plan`: its broker and options shape the plan the tests are generated for.
            if data.get("options"):
                options["plan_options"] = dict(data["options"])
            if data.get("broker"):
                options["broker"] = data["broker"]
    if args.broker:
        options["broker"] = args.broker
    if args.suite:
        options["suites"] = args.suite
    if args.no_integration:
        options["include_integration"] = False
    try:
        result = generate_tests(source, knowledge(), options or None)
    except (TestGenInputError, PlanInputError) as exc:
        _print_input_errors(exc)
        return EXIT_INVALID
    rc = _write_files("tests", Path(args.out), {f.path: f.content for f in result.files}, args.force)
    if rc != EXIT_OK:
        return rc
    sys.stdout.write(f"{result.use_case} on {result.broker}: wrote {len(result.files)} files to {args.out}\n")
    for suite in result.suites:
        sys.stdout.write(f"  {suite.id}: {suite.guarantee}\n")
    sys.stdout.write("run:\n" + "".join(f"  {c}\n" for c in result.commands))
    for env in result.env_vars:
        sys.stdout.write(f"  {env.name}={env.example}  ({env.enables})\n")
    return EXIT_OK


def cmd_diagnose(args: argparse.Namespace) -> int:
    import yaml
    from pydantic import ValidationError

    from event_driven.core.diagnosis import DiagnoseInputError, DiagnoseRequest, diagnose
    from event_driven.kb.loader import knowledge

    raw: dict = {}
    try:
        if args.symptom:
            raw["symptoms"] = args.symptom
        if args.errors:
            raw["error_lines"] = _read(args.errors)
        if args.config:
            raw["config"] = _read(args.config)
        if args.metrics:
            raw["metrics"] = yaml.safe_load(_read(args.metrics))
        if args.context:
            raw["event_context"] = yaml.safe_load(_read(args.context))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        sys.stderr.write(f"event-driven diagnose: cannot read input: {exc}\n")
        return EXIT_USAGE
    if args.broker:
        raw["broker"] = args.broker
    raw["max_hypotheses"] = args.top
    try:
        result = diagnose(DiagnoseRequest.model_validate(raw), knowledge())
    except ValidationError as exc:
        sys.stderr.write("invalid input:\n")
        for err in exc.errors(include_url=False):
            sys.stderr.write(f"  $.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}\n")
        return EXIT_INVALID
    except DiagnoseInputError as exc:
        sys.stderr.write(f"event-driven diagnose: {exc} (use --symptom, --errors, --config or --metrics)\n")
        return EXIT_USAGE
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return EXIT_OK
    out = sys.stdout
    b = result.broker
    out.write(f"broker: {b.broker or 'unknown'} ({b.how})\n\n")
    for h in result.hypotheses:
        out.write(f"{h.rank}. {h.title} [{h.failure_mode_id}]  confidence {h.confidence:.2f}\n")
        for sign, items, limit in (("+", h.evidence_for, 4), ("-", h.evidence_against, 2)):
            shown = list(dict.fromkeys(f"{e.kind}: {e.quote or e.matched}" for e in items))[:limit]
            out.writelines(f"     {sign} {line}\n" for line in shown)
        if h.resolutions:
            out.write(f"     fix: {h.resolutions[0].action}\n")
        if h.next_diagnostics:
            out.write(f"     next: {h.next_diagnostics[0].command}\n")
    if result.config_findings:
        out.write("\nconfig findings:\n")
        for f in result.config_findings:
            out.write(f"  {f.severity:<8} {f.key}={f.current_value}: {f.message}\n           fix: {f.fix}\n")
    if result.lag_verdict is not None:
        out.write(f"\nlag: {result.lag_verdict.model_dump().get('status', '')}\n")
    out.write("\nchecklist:\n")
    for item in result.checklist:
        out.write(f"  {item.status:<7} {item.question}  {item.reason}\n")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from event_driven.app.plan import PlanInputError, plan_topology
    from event_driven.kb.loader import knowledge

    try:
        request = _load_request(args.file)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        sys.stderr.write(f"event-driven plan: cannot read {args.file}: {exc}\n")
        return EXIT_USAGE
    options = dict(request.get("options") or {})
    if args.domain:
        options["domain"] = args.domain
    try:
        plan = plan_topology(request.get("event_context"), knowledge(), args.broker or request.get("broker"),
                             options or None)
    except PlanInputError as exc:
        _print_input_errors(exc)
        return EXIT_INVALID
    if args.out is None:
        sys.stdout.write(plan.model_dump_json(indent=2, by_alias=True) + "\n")
        return EXIT_OK
    summary = plan.model_copy(update={"artifacts": [a.model_copy(update={"content": ""}) for a in plan.artifacts]})
    contents = {a.path: a.content for a in plan.artifacts}
    contents["plan.json"] = summary.model_dump_json(indent=2, by_alias=True) + "\n"
    contents["diagram.mmd"] = plan.diagram + "\n"
    rc = _write_files("plan", Path(args.out), contents, args.force)
    if rc != EXIT_OK:
        return rc
    sys.stdout.write(f"{plan.broker.technology}" + (f" ({plan.broker.variant})" if plan.broker.variant else "")
                     + f": wrote {len(contents)} files to {args.out}\n")
    for artifact in plan.artifacts:
        sys.stdout.write(f"  {artifact.path}  (checked by: {artifact.checked_by})\n")
    sys.stdout.write("  plan.json, diagram.mmd\n")
    for w in plan.warnings:
        if w.severity in ("high", "medium"):
            sys.stdout.write(f"warning {w.severity}: {w.message}\n  -> {w.action}\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="event-driven", description="Event-driven architecture advisor.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = sub.add_parser("validate", help="validate an event context (YAML or JSON)")
    validate.add_argument("file", metavar="FILE|-", help="a YAML or JSON file, or - for standard input")
    validate.add_argument("--format", choices=["text", "json"], default="text")
    validate.set_defaults(handler=cmd_validate)

    select = sub.add_parser("select", help="rank message brokers for a context")
    select.add_argument("file", metavar="FILE|-", help="context (or {event_context, constraints}) as YAML or JSON")
    select.add_argument("--cloud", choices=["aws", "gcp", "azure", "on_premises", "any"])
    select.add_argument("--deployment", choices=["managed", "self_hosted", "any"])
    select.add_argument("--max-complexity", dest="max_complexity", choices=["low", "medium", "high"])
    select.add_argument("--existing", action="append", default=[], metavar="BROKER", help="a broker the team runs")
    select.add_argument("--format", choices=["text", "json"], default="text")
    select.set_defaults(handler=cmd_select)

    plan = sub.add_parser("plan", help="plan a topology and write its artifacts")
    plan.add_argument("file", metavar="FILE|-", help="context (or {event_context, broker, options}) as YAML or JSON")
    plan.add_argument("--broker", help="e.g. kafka, rabbitmq.quorum, sqs.fifo (default: best fit)")
    plan.add_argument("--domain", help="channel name prefix, e.g. orders")
    plan.add_argument("--out", metavar="DIR", help="write artifacts, plan.json and diagram.mmd under DIR")
    plan.add_argument("--force", action="store_true", help="overwrite existing files in DIR")
    plan.set_defaults(handler=cmd_plan)

    diag = sub.add_parser("diagnose", help="rank the likely causes of an incident from its evidence")
    diag.add_argument("--symptom", action="append", default=[], metavar="TEXT", help="what you observe (repeatable)")
    diag.add_argument("--errors", metavar="FILE", help="error or log lines (- for stdin)")
    diag.add_argument("--config", metavar="FILE", help="client/topic/queue config: properties, YAML or JSON")
    diag.add_argument("--metrics", metavar="FILE", help="metrics samples as YAML or JSON (see the README)")
    diag.add_argument("--context", metavar="FILE", help="the event context (its guarantee shapes the audit)")
    diag.add_argument("--broker", help="kafka, rabbitmq, sqs, pulsar, nats, redis (default: inferred)")
    diag.add_argument("--top", type=int, default=5, help="how many causes to show (default 5)")
    diag.add_argument("--format", choices=["text", "json"], default="text")
    diag.set_defaults(handler=cmd_diagnose)

    tests = sub.add_parser("tests", help="generate a runnable pytest scaffold for a context or a plan")
    tests.add_argument("file", metavar="FILE|-", help="a context, {event_context, broker, options}, or a plan.json")
    tests.add_argument("--out", metavar="DIR", required=True, help="write the scaffold under DIR")
    tests.add_argument("--broker", help="broker to plan for when FILE is a context")
    tests.add_argument("--suite", action="append", default=[], metavar="ID", help="only these suites (repeatable)")
    tests.add_argument("--no-integration", action="store_true", help="leave out broker integration tests")
    tests.add_argument("--force", action="store_true", help="overwrite existing files in DIR")
    tests.set_defaults(handler=cmd_tests)
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
