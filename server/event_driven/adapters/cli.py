"""``event-driven``: the advisor on the command line, for people and CI pipelines.

Exit codes: 0 success (``validate``: valid), 1 invalid input (the output says which field and why), 2 usage error
(bad arguments, unreadable file, refusing to overwrite).

``select`` and ``plan`` read a file holding the event context, or an object with ``event_context`` and optionally
``constraints``, ``broker`` and ``options``. ``plan --out DIR`` writes the rendered artifacts under DIR only, refuses to
overwrite an existing file without ``--force``, and writes nothing at all when any target is refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from event_driven.core.testgen import GeneratedTests
from event_driven.core.topology.models import TopologyPlan
from event_driven.version import package_version

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {source}")
    return path.read_text(encoding="utf-8")


def _present(tool: str, result: BaseModel, detail: str) -> None:
    """The same Markdown answer the MCP server gives, so the CLI and an agent read the same thing."""
    from event_driven.adapters.presenters import PRESENTERS

    sys.stdout.write(PRESENTERS[tool](result.model_dump(mode="json", by_alias=True), detail))


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
        _present("validate_context", result, args.detail)
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
            raise ValueError(
                f"unknown top-level keys {unknown}; allowed next to event_context: {', '.join(REQUEST_KEYS[1:])}"
            )
        for key in ("constraints", "options"):
            if data.get(key) is not None and not isinstance(data[key], dict):
                raise ValueError(f"'{key}' must be a mapping of names to values, got {type(data[key]).__name__}")
        if data.get("broker") is not None and not isinstance(data["broker"], str):
            raise ValueError(f"'broker' must be a string such as 'kafka', got {type(data['broker']).__name__}")
        return data
    return {"event_context": data}


def _run(tool: str, arguments: dict[str, Any]) -> BaseModel | int:
    """Run a use case; an input error goes to stderr in the one format and becomes exit code 1."""
    from event_driven.app import usecases
    from event_driven.errors import InputError, render_errors
    from event_driven.kb.loader import knowledge

    try:
        return getattr(usecases, tool)(arguments, knowledge())
    except InputError as exc:
        sys.stderr.write(render_errors(exc.errors) + "\n")
        return EXIT_INVALID


def _emit(tool: str, result: BaseModel, args: argparse.Namespace) -> int:
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2, by_alias=True) + "\n")
    else:
        _present(tool, result, args.detail)
    return EXIT_OK


UNREADABLE: Any = object()


def _loaded(command: str, source: str, loader: Any) -> Any:
    """The request file, loaded; UNREADABLE (after saying why on stderr) when it cannot be read or parsed."""
    try:
        return loader(source)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        sys.stderr.write(f"event-driven {command}: cannot read {source}: {exc}\n")
        return UNREADABLE


def cmd_select(args: argparse.Namespace) -> int:
    request = _loaded("select", args.file, _load_request)
    if request is UNREADABLE:
        return EXIT_USAGE
    constraints = dict(request.get("constraints") or {})
    for key in ("cloud", "deployment", "max_complexity"):
        if getattr(args, key):
            constraints[key] = getattr(args, key)
    if args.existing:
        constraints["existing_brokers"] = args.existing
    result = _run("select_broker", {"event_context": request.get("event_context"), "constraints": constraints or None})
    return result if isinstance(result, int) else _emit("select_broker", result, args)


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
        targets = dict(zip(_targets(out_dir, list(contents)), contents.values(), strict=True))
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
        sys.stderr.write(
            f"event-driven {command}: refusing to overwrite (pass --force): "
            + ", ".join(str(p) for p in existing)
            + "\nnothing was written\n"
        )
        return EXIT_USAGE
    try:
        _write_all(targets)
    except OSError as exc:
        sys.stderr.write(f"event-driven {command}: cannot write under {out_dir}: {exc}\nnothing was written\n")
        return EXIT_USAGE
    return EXIT_OK


def cmd_tests(args: argparse.Namespace) -> int:
    data = _loaded("tests", args.file, _load_yaml)
    if data is UNREADABLE:
        return EXIT_USAGE
    options: dict = {}
    source = data
    if (
        isinstance(data, dict)
        and ("event_context" in data or "plan" in data)
        and not ("broker" in data and "topology" in data)
    ):
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
    key = "plan" if source is not None and isinstance(source, dict) and "topology" in source else "event_context"
    result = _run("generate_tests", {key: source, "options": options or None})
    if isinstance(result, int):
        return result
    assert isinstance(result, GeneratedTests)
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

    raw: dict[str, Any] = {}
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
    if not any(k in raw for k in ("symptoms", "error_lines", "config", "metrics")):
        sys.stderr.write("event-driven diagnose: no evidence given (use --symptom, --errors, --config or --metrics)\n")
        return EXIT_USAGE
    result = _run("diagnose_issue", raw)
    return result if isinstance(result, int) else _emit("diagnose_issue", result, args)


def cmd_plan(args: argparse.Namespace) -> int:
    request = _loaded("plan", args.file, _load_request)
    if request is UNREADABLE:
        return EXIT_USAGE
    options = dict(request.get("options") or {})
    if args.domain:
        options["domain"] = args.domain
    plan = _run(
        "plan_topology",
        {
            "event_context": request.get("event_context"),
            "broker": args.broker or request.get("broker"),
            "options": options or None,
        },
    )
    if isinstance(plan, int):
        return plan
    assert isinstance(plan, TopologyPlan)
    if args.out is None:
        return _emit("plan_topology", plan, args)
    summary = plan.model_copy(update={"artifacts": [a.model_copy(update={"content": ""}) for a in plan.artifacts]})
    contents = {a.path: a.content for a in plan.artifacts}
    contents["plan.json"] = summary.model_dump_json(indent=2, by_alias=True) + "\n"
    contents["diagram.mmd"] = plan.diagram + "\n"
    rc = _write_files("plan", Path(args.out), contents, args.force)
    if rc != EXIT_OK:
        return rc
    sys.stdout.write(
        f"{plan.broker.technology}"
        + (f" ({plan.broker.variant})" if plan.broker.variant else "")
        + f": wrote {len(contents)} files to {args.out}\n"
    )
    for artifact in plan.artifacts:
        sys.stdout.write(f"  {artifact.path}  (checked by: {artifact.checked_by})\n")
    sys.stdout.write("  plan.json, diagram.mmd\n")
    for w in plan.warnings:
        if w.severity in ("high", "medium"):
            sys.stdout.write(f"warning {w.severity}: {w.message}\n  -> {w.action}\n")
    return EXIT_OK


SCHEMA_EXTENSIONS = {".avsc": "avro", ".proto": "protobuf"}


def _format_by_extension(*paths: str) -> str | None:
    """A format both files' extensions agree on (.avsc, .proto), so a file that fails to parse still gets its
    parser's message; None leaves the inference to the content."""
    found = {SCHEMA_EXTENSIONS.get(Path(p).suffix.lower()) for p in paths}
    return found.pop() if len(found) == 1 else None


def cmd_schema_check(args: argparse.Namespace) -> int:
    """Exit 0 when compatible, 1 when not, 2 when the input cannot be checked (for CI pipelines)."""
    try:
        old, new = _read(args.old), _read(args.new)
        history = (
            [p.read_text(encoding="utf-8") for p in sorted(Path(args.history).iterdir()) if p.is_file()]
            if args.history
            else []
        )
    except (OSError, UnicodeDecodeError) as exc:
        sys.stderr.write(f"event-driven schema-check: cannot read input: {exc}\n")
        return EXIT_USAGE
    request: dict[str, Any] = {
        "new_schema": new,
        "mode": args.mode,
        "format": args.schema_format or _format_by_extension(args.old, args.new),
    }
    if history:
        request["history"] = [*history, old]  # the directory's versions, oldest first, then OLD as the latest
    else:
        request["old_schema"] = old
    result = _run("check_schema_change", request)
    if isinstance(result, int):
        return EXIT_USAGE
    _emit("check_schema_change", result, args)
    return EXIT_OK if getattr(result, "compatible", False) else EXIT_INVALID


def cmd_inspect(args: argparse.Namespace) -> int:
    """Read a target the targets file names, read-only; exit 0 with no finding, 1 with findings, 2 when unreadable."""
    from event_driven.app.targets import use_targets
    from event_driven.errors import InputError, render_errors

    try:
        use_targets(args.targets)
        plan = json.loads(_read(args.plan)) if args.plan else None
    except InputError as exc:
        sys.stderr.write(render_errors(exc.errors) + "\n")
        return EXIT_USAGE
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        sys.stderr.write(f"event-driven inspect: cannot read the plan: {exc}\n")
        return EXIT_USAGE
    result = _run("inspect_broker", {"target": args.target, "plan": plan, "pattern": args.pattern})
    if isinstance(result, int):
        return EXIT_USAGE
    _emit("inspect_broker", result, args)
    return EXIT_INVALID if getattr(result, "findings", None) else EXIT_OK


SKILL_DEST = Path("~/.claude/skills")


def cmd_skill_install(args: argparse.Namespace) -> int:
    """Write the shipped skill to DEST/event-driven/SKILL.md (the folder name must equal the skill's name)."""
    from event_driven.paths import skill_file

    target = Path(args.dest).expanduser() / "event-driven" / "SKILL.md"
    if target.exists() and not args.force:
        sys.stderr.write(f"event-driven skill install: {target} exists; pass --force to replace it\n")
        return EXIT_USAGE
    try:
        _write_all({target: skill_file().read_text(encoding="utf-8")})
    except OSError as exc:
        sys.stderr.write(f"event-driven skill install: cannot write {target}: {exc}\n")
        return EXIT_USAGE
    sys.stdout.write(f"installed the event-driven skill at {target}\n")
    return EXIT_OK


def _output_options(parser: Any, format_help: str | None = None) -> None:
    """--format and --detail, as every command that prints an answer takes them."""
    parser.add_argument("--format", choices=["text", "json"], default="text", help=format_help)
    parser.add_argument("--detail", choices=["summary", "full"], default="summary", help="how much of each list")


def _add_validate(sub: Any) -> None:
    validate = sub.add_parser("validate", help="validate an event context (YAML or JSON)")
    validate.add_argument("file", metavar="FILE|-", help="a YAML or JSON file, or - for standard input")
    _output_options(validate)
    validate.set_defaults(handler=cmd_validate)


def _add_select(sub: Any) -> None:
    select = sub.add_parser("select", help="rank message brokers for a context")
    select.add_argument("file", metavar="FILE|-", help="context (or {event_context, constraints}) as YAML or JSON")
    select.add_argument("--cloud", choices=["aws", "gcp", "azure", "on_premises", "any"])
    select.add_argument("--deployment", choices=["managed", "self_hosted", "any"])
    select.add_argument("--max-complexity", dest="max_complexity", choices=["low", "medium", "high"])
    select.add_argument("--existing", action="append", default=[], metavar="BROKER", help="a broker the team runs")
    _output_options(select)
    select.set_defaults(handler=cmd_select)


def _add_plan(sub: Any) -> None:
    plan = sub.add_parser("plan", help="plan a topology and write its artifacts")
    plan.add_argument("file", metavar="FILE|-", help="context (or {event_context, broker, options}) as YAML or JSON")
    plan.add_argument("--broker", help="e.g. kafka, rabbitmq.quorum, sqs.fifo (default: best fit)")
    plan.add_argument("--domain", help="channel name prefix, e.g. orders")
    plan.add_argument("--out", metavar="DIR", help="write artifacts, plan.json and diagram.mmd under DIR")
    plan.add_argument("--force", action="store_true", help="overwrite existing files in DIR")
    _output_options(plan, "without --out: Markdown or JSON")
    plan.set_defaults(handler=cmd_plan)


def _add_diagnose(sub: Any) -> None:
    diag = sub.add_parser("diagnose", help="rank the likely causes of an incident from its evidence")
    diag.add_argument("--symptom", action="append", default=[], metavar="TEXT", help="what you observe (repeatable)")
    diag.add_argument("--errors", metavar="FILE", help="error or log lines (- for stdin)")
    diag.add_argument("--config", metavar="FILE", help="client/topic/queue config: properties, YAML or JSON")
    diag.add_argument("--metrics", metavar="FILE", help="metrics samples as YAML or JSON (see the README)")
    diag.add_argument("--context", metavar="FILE", help="the event context (its guarantee shapes the audit)")
    diag.add_argument("--broker", help="kafka, rabbitmq, sqs, pulsar, nats, redis (default: inferred)")
    diag.add_argument("--top", type=int, default=5, help="how many causes to show (default 5)")
    _output_options(diag)
    diag.set_defaults(handler=cmd_diagnose)


def _add_tests(sub: Any) -> None:
    tests = sub.add_parser("tests", help="generate a runnable pytest scaffold for a context or a plan")
    tests.add_argument("file", metavar="FILE|-", help="a context, {event_context, broker, options}, or a plan.json")
    tests.add_argument("--out", metavar="DIR", required=True, help="write the scaffold under DIR")
    tests.add_argument("--broker", help="broker to plan for when FILE is a context")
    tests.add_argument("--suite", action="append", default=[], metavar="ID", help="only these suites (repeatable)")
    tests.add_argument("--no-integration", action="store_true", help="leave out broker integration tests")
    tests.add_argument("--force", action="store_true", help="overwrite existing files in DIR")
    tests.set_defaults(handler=cmd_tests)


def _add_schema_check(sub: Any) -> None:
    schema = sub.add_parser("schema-check", help="is a schema change compatible? exit 0 yes, 1 no, 2 unusable input")
    schema.add_argument("old", metavar="OLD", help="the latest registered schema (Avro, JSON Schema or .proto)")
    schema.add_argument("new", metavar="NEW", help="the proposed next version")
    schema.add_argument(
        "--mode",
        help="BACKWARD (default), BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE or NONE",
    )
    schema.add_argument("--format", dest="schema_format", help="avro, json or protobuf (default: inferred)")
    schema.add_argument("--history", metavar="DIR", help="older versions, one file each, oldest first by name")
    schema.add_argument(
        "--json", dest="format", action="store_const", const="json", default="text", help="print the result as JSON"
    )
    schema.add_argument("--detail", choices=["summary", "full"], default="summary", help="how much of each list")
    schema.set_defaults(handler=cmd_schema_check)


def _add_inspect(sub: Any) -> None:
    inspect = sub.add_parser("inspect", help="read a live broker the targets file names (read-only)")
    inspect.add_argument("target", metavar="TARGET", help="a target name from the targets file")
    inspect.add_argument("--targets", metavar="FILE", help="the targets file (default: $EVENT_DRIVEN_TARGETS)")
    inspect.add_argument("--plan", metavar="FILE", help="a plan.json from `event-driven plan --out`: report drift")
    inspect.add_argument("--pattern", help="only channels whose names match this glob")
    _output_options(inspect)
    inspect.set_defaults(handler=cmd_inspect)


def _add_skill(sub: Any) -> None:
    skill = sub.add_parser("skill", help="the companion Agent Skill")
    skill_sub = skill.add_subparsers(dest="skill_command", required=True, metavar="ACTION")
    install = skill_sub.add_parser("install", help="write SKILL.md into a host's skills folder")
    install.add_argument("--dest", default=str(SKILL_DEST), help=f"skills folder (default {SKILL_DEST})")
    install.add_argument("--force", action="store_true", help="replace an installed copy")
    install.set_defaults(handler=cmd_skill_install)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="event-driven", description="Event-driven architecture advisor.")
    parser.add_argument("--version", action="version", version=f"event-driven {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_validate(sub)
    _add_select(sub)
    _add_plan(sub)
    _add_diagnose(sub)
    _add_tests(sub)
    _add_schema_check(sub)
    _add_inspect(sub)
    _add_skill(sub)
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
