"""Write the golden structured results: ``python tests/golden/capture.py``. See cases.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases  # noqa: E402
import runner  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"


def dump(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for tool, results in runner.all_results().items():
        (OUT / f"{tool}.json").write_text(dump(results), encoding="utf-8")
        print(f"{tool}: {len(results)} cases")  # noqa: T201 - a developer script, not server code
    _ = cases


if __name__ == "__main__":
    main()
