"""Avro: our verdict on every corpus pair agrees with the corpus and with Apache Avro's own checker.

Oracle: ``avro.compatibility.ReaderWriterCompatibilityChecker`` (PyPI ``avro``), Avro's implementation of the
specification's schema-resolution rules, which Schema Registry applies to Avro. Each case's mode decides the pairs:
BACKWARD reads old data with the new schema (reader=new, writer=old), FORWARD the reverse, FULL both; the transitive
modes check every version of the history, the others only the latest.

Departures: none. (Avro's checker and Schema Registry apply the same resolution rules to every case here.)
"""

from __future__ import annotations

import json

import avro.schema
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from schema_corpus import Case, assert_verdict, load_cases, verdict

CASES = load_cases("avro")
DEPARTURES: dict[str, str] = {}


def oracle_verdict(case: Case) -> str:
    checker = ReaderWriterCompatibilityChecker()
    for writer, reader in case.pairs():
        result = checker.get_compatibility(reader=avro.schema.parse(json.dumps(reader)),
                                           writer=avro.schema.parse(json.dumps(writer)))
        if result.compatibility is not SchemaCompatibilityType.compatible:
            return "incompatible"
    return "compatible"


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert any(c.source and c.source.startswith("confluent") for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_verdict_matches_corpus_and_rules(case: Case) -> None:
    assert_verdict(case, "avro")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_agrees_with_avro_checker(case: Case) -> None:
    expected = case.expected if case.id not in DEPARTURES else verdict(case.expected != "compatible")
    assert oracle_verdict(case) == expected
