"""The schema-change corpora (tests/schema_cases/*.yaml) and what each case's mode asks an oracle to check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from event_driven.core.schema import SchemaCheckResult, check_schema_change, schema_check_request
from event_driven.kb.loader import knowledge
from event_driven.kb.schema_rules import SchemaRuleBook

CASES_DIR = Path(__file__).parent / "schema_cases"
BOOK: SchemaRuleBook = knowledge().schema_rules


@dataclass(frozen=True)
class Case:
    id: str
    mode: str | None
    versions: list[Any]  # oldest first
    new: Any
    expected: str  # compatible | incompatible
    rules: tuple[str, ...]
    source: str | None

    @property
    def effective_mode(self) -> str:
        return self.mode or BOOK.default_mode.value

    def pairs(self) -> list[tuple[Any, Any]]:
        """(writer, reader) schema pairs the mode requires to be readable, as Schema Registry checks them."""
        rule = BOOK.modes[self.effective_mode]  # type: ignore[index]
        checked = [] if rule.against == "none" else self.versions[-1:] if rule.against == "latest" else self.versions
        out: list[tuple[Any, Any]] = []
        for old in checked:
            if "backward" in rule.directions:
                out.append((old, self.new))
            if "forward" in rule.directions:
                out.append((self.new, old))
        return out

    def check(self, schema_format: str) -> SchemaCheckResult:
        body: dict[str, Any] = {"new_schema": self.new, "history": self.versions, "format": schema_format}
        if self.mode:
            body["mode"] = self.mode
        return check_schema_change(schema_check_request(body), BOOK)


def load_cases(name: str) -> list[Case]:
    raw = yaml.safe_load((CASES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    cases = []
    for item in raw:
        versions = item["history"] if "history" in item else [item["old"]]
        cases.append(Case(id=item["id"], mode=item.get("mode"), versions=versions, new=item["new"],
                          expected=item["expected"], rules=tuple(item.get("rules", ())), source=item.get("source")))
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), f"duplicate case ids in {name}.yaml"
    return cases


def verdict(compatible: bool) -> str:
    return "compatible" if compatible else "incompatible"


def assert_verdict(case: Case, schema_format: str) -> None:
    """Our check gives the corpus verdict and reports at least the rules the case names."""
    result = case.check(schema_format)
    assert verdict(result.compatible) == case.expected, [i.message for i in result.incompatibilities]
    assert set(case.rules) <= {i.rule for i in result.incompatibilities}
