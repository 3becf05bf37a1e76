"""One vocabulary of sides (patients.sides) for the injection rows, the rules table and the rule engine.
The values are what the database stores, so they are pinned here."""

import ast
from pathlib import Path

from patients import sides
from planner.models import Injection, PatternComponent, SuggestionRule
from planner.rules import safety, suggest

ROOT = Path(__file__).resolve().parents[2]


def test_sides_are_defined_once_in_the_project():
    defined = [
        f"{path.relative_to(ROOT)}:{node.name}"
        for app in ("planner", "patients")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and node.name in ("Side", "RelativeSide")
    ]
    assert sorted(defined) == ["patients/sides.py:RelativeSide", "patients/sides.py:Side"]


def test_the_planner_and_its_rule_engine_use_the_shared_sides():
    assert suggest.Side is safety.Side is Injection.Side is sides.Side
    assert suggest.RelativeSide is sides.RelativeSide


def test_the_stored_values_and_labels_are_unchanged():
    assert Injection._meta.get_field("side").choices == [("left", "left"), ("right", "right")]
    assert SuggestionRule._meta.get_field("side").choices == [
        ("ipsilateral", "ipsilateral"),
        ("contralateral", "contralateral"),
        ("bilateral", "bilateral"),
        ("unresolved", "unresolved (sources conflict)"),
    ]
    assert [value for value, _ in PatternComponent._meta.get_field("side").choices] == [
        "ipsilateral",
        "contralateral",
        "bilateral",
    ]


def test_the_opposite_side():
    assert sides.Side.LEFT.opposite is sides.Side.RIGHT
    assert sides.Side("right").opposite == "left"


def test_both_sides_compares_equal_to_the_stored_strings():
    assert {"left", "right"} == sides.BOTH_SIDES
    assert "left" in sides.BOTH_SIDES and "ipsilateral" not in sides.BOTH_SIDES
