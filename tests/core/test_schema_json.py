"""JSON Schema: our verdict on every corpus pair agrees with Confluent's rules (the corpus) and, where it gives one,
with a maintained second checker.

The corpus states Confluent's verdict under its default (strict) JSON Schema rules for open, closed and partially
open content models. Second opinion: PyPI ``jsoncompat`` (role ``deserializer``: can a reader on the second schema
accept every document valid under the first?), run on every (writer, reader) pair the case's mode requires.

Departures, where jsoncompat, a semantic checker, differs from Confluent's documented rule:
- required-with-default-added-closed: Confluent accepts a property that becomes required when it has a default
  (REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL), because its deserializer can fill the default;
  a validator does not apply defaults, so jsoncompat sees old documents lacking the property as rejected.
- pattern-added-backward: Confluent rejects a new "pattern" (PATTERN_ADDED: strings valid before may not match);
  jsoncompat 0.3 does not compare regular expressions and passes the change.
"""

from __future__ import annotations

import json

import jsoncompat
import pytest

from schema_corpus import Case, assert_verdict, load_cases, verdict

CASES = load_cases("json")
DEPARTURES: dict[str, str] = {
    "required-with-default-added-closed": "a default makes a new required property acceptable to Confluent only",
    "pattern-added-backward": "jsoncompat does not compare regular expressions",
}


def second_opinion(case: Case) -> str | None:
    """jsoncompat's verdict for the case's mode, or None where it cannot judge one of the pairs."""
    for writer, reader in case.pairs():
        try:
            if not jsoncompat.check_compat(json.dumps(writer), json.dumps(reader), "deserializer"):
                return "incompatible"
        except Exception:  # noqa: BLE001 - jsoncompat refuses schemas it cannot reason about
            return None
    return "compatible"


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    documented = ("confluent-serdes-develop-serdes-json", "streamnative-sr-json-schema")
    assert sum(1 for c in CASES if c.source in documented) >= 5


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_verdict_matches_confluent_rules(case: Case) -> None:
    assert_verdict(case, "json")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_agrees_with_jsoncompat_where_it_judges(case: Case) -> None:
    opinion = second_opinion(case)
    if opinion is None:
        pytest.skip("jsoncompat gives no verdict on this pair")
    expected = case.expected if case.id not in DEPARTURES else verdict(case.expected != "compatible")
    assert opinion == expected


def test_departures_are_corpus_cases() -> None:
    assert set(DEPARTURES) <= {c.id for c in CASES}
