"""Cold start in instructions: what a shared, noisy machine cannot blur.

Runs each server under ``valgrind --tool=callgrind`` (about 50 times slower, so one run per row), writes the same
messages as bench.py's cold-start rows, waits for the answer, stops the server with SIGTERM and reads the
instruction count (Ir) from the callgrind output. Rows: ``initialize`` (spawn -> initialize result) and ``first``
(the handshake and one validate_context call written at once -> the call's answer).

    .venv/bin/python bench/cold_instructions.py [initialize] [first]      # needs valgrind; ~3 min per row
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402

TIMEOUT_S = 600


def instructions(command: list[str], payload: bytes, answer_id: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=bench.child_env(),
        )
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(payload)
            proc.stdin.flush()
            buf = b""
            while not bench._answered(buf, answer_id):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    raise bench.BenchError(f"{command} closed stdout before answering: {buf[:300]!r}")
                buf += chunk
            proc.send_signal(signal.SIGTERM)
            proc.wait(TIMEOUT_S)
        finally:
            bench.stop(proc)
        found = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)
        if not found:
            raise bench.BenchError("no instruction count in the callgrind output")
        return int(found.group(1))


def main(argv: list[str]) -> int:
    case = bench.CASES[0]
    rows = {
        "initialize": ((bench.INITIALIZE, 1), (bench.INITIALIZE, 1)),
        "first": (
            (bench.first_call(bench.BARE_TOOL, bench.BARE_ARGUMENTS), 2),
            (bench.first_call(case.tool, case.arguments), 2),
        ),
    }
    print("| row | bare (M instructions) | event-driven | ratio |\n|---|---:|---:|---:|")
    for name in argv or list(rows):
        (bare_payload, bare_id), (our_payload, our_id) = rows[name]
        bare = instructions(bench.bare_command(), bare_payload, bare_id)
        ours = instructions(bench.our_command(), our_payload, our_id)
        print(f"| {name} | {bare / 1e6:,.0f} | {ours / 1e6:,.0f} | {ours / bare:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
