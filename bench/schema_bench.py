"""Benchmark: check_schema_change on a 200-field schema against a 10-version history, in process (budget 50 ms).

    .venv/bin/python bench/schema_bench.py            # 50 timed runs per row after 5 warm-up runs
    .venv/bin/python bench/schema_bench.py --runs 200

For each format the history is 10 versions of one record/object/message growing from 190 to 199 fields (one
optional field added per version, types mixed), and the new schema has 200 fields. Mode FULL_TRANSITIVE
(BACKWARD_TRANSITIVE for JSON Schema); the check compares both directions against every version in any mode (that
is how it reports every mode that would pass), so the mode does not change the work. Each run starts from the
request (schemas as JSON/.proto text, so parsing is timed). Protobuf parses are cached per text (a subject's
history is re-checked with every new version): the row "protobuf (cold parse)" clears that cache before every run,
"protobuf (cached)" does not.
Timing: time.perf_counter around one call; p50 is the median, p95 the nearest-rank 95th percentile.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable

from event_driven.core.schema import check_schema_change, schema_check_request
from event_driven.core.schema.protobuf import _parse_text
from event_driven.kb.loader import knowledge
from event_driven.kb.schema_rules import SchemaRuleBook

FIELDS = 200
VERSIONS = 10
BUDGET_MS = 50.0
AVRO_TYPES = ["string", "int", "long", "double", "boolean", "bytes", ["null", "string"]]
JSON_TYPES = [{"type": "string", "maxLength": 64}, {"type": "integer", "minimum": 0}, {"type": "number"},
              {"type": "boolean"}, {"type": "array", "items": {"type": "string"}}, {"enum": ["A", "B", "C"]}]
PROTO_TYPES = ["string", "int32", "int64", "double", "bool", "bytes", "google.protobuf.Timestamp"]


def avro_version(n_fields: int) -> str:
    fields = [{"name": f"f{i}", "type": AVRO_TYPES[i % len(AVRO_TYPES)], "default": _avro_default(i)}
              for i in range(n_fields)]
    return json.dumps({"type": "record", "name": "Wide", "namespace": "bench", "fields": fields})


def _avro_default(i: int) -> object:
    kind = AVRO_TYPES[i % len(AVRO_TYPES)]
    return {"string": "", "int": 0, "long": 0, "double": 0.0, "boolean": False, "bytes": ""}.get(str(kind))


def json_version(n_fields: int) -> str:
    props = {f"f{i}": JSON_TYPES[i % len(JSON_TYPES)] for i in range(n_fields)}
    return json.dumps({"type": "object", "properties": props, "required": ["f0"], "additionalProperties": False})


def proto_version(n_fields: int) -> str:
    lines = [f"  {PROTO_TYPES[i % len(PROTO_TYPES)]} f{i} = {i + 1};" for i in range(n_fields)]
    return ('syntax = "proto3";\npackage bench.v1;\nimport "google/protobuf/timestamp.proto";\n'
            "message Wide {\n" + "\n".join(lines) + "\n}\n")


def request_body(version: Callable[[int], str], schema_format: str, mode: str) -> dict[str, object]:
    history = [version(FIELDS - VERSIONS + k) for k in range(VERSIONS)]
    return {"history": history, "new_schema": version(FIELDS), "format": schema_format, "mode": mode}


def time_runs(body: dict[str, object], book: SchemaRuleBook, runs: int, warmup: int,
              before: Callable[[], None] = lambda: None) -> list[float]:
    samples: list[float] = []
    for i in range(warmup + runs):
        before()
        start = time.perf_counter()
        result = check_schema_change(schema_check_request(body), book)
        elapsed = (time.perf_counter() - start) * 1000
        if not result.compatible:
            raise SystemExit(f"sanity check failed: {result.incompatibilities[:2]}")
        if i >= warmup:
            samples.append(elapsed)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description="check_schema_change benchmark (200 fields, 10 versions)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    book = knowledge().schema_rules
    load_start = os.getloadavg()[0]
    rows = [
        ("avro", request_body(avro_version, "avro", "FULL_TRANSITIVE"), lambda: None),
        # A closed JSON object can gain optional properties only backward (removal from a closed model breaks forward).
        ("json", request_body(json_version, "json", "BACKWARD_TRANSITIVE"), lambda: None),
        ("protobuf (cold parse)", request_body(proto_version, "protobuf", "FULL_TRANSITIVE"), _parse_text.cache_clear),
        ("protobuf (cached)", request_body(proto_version, "protobuf", "FULL_TRANSITIVE"), lambda: None),
    ]
    print(f"| format | p50 (ms) | p95 (ms) | max (ms) | within {BUDGET_MS:.0f} ms (p95) |")
    print("|---|---:|---:|---:|---|")
    over = False
    for name, body, before in rows:
        print(f"timing {name} ...", file=sys.stderr)
        samples = time_runs(body, book, args.runs, args.warmup, before)
        worst = p95(samples)
        over |= worst > BUDGET_MS
        print(f"| {name} | {statistics.median(samples):.2f} | {worst:.2f} | {max(samples):.2f} | "
              f"{'yes' if worst <= BUDGET_MS else 'no'} |")
    print(f"\nload average (1 min): {load_start:.2f} at start, {os.getloadavg()[0]:.2f} at end; {args.runs} runs "
          f"per row after {args.warmup} warm-up runs")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
