"""The cycle reference set (cycle-reference.yaml) as rows for the loader (planner.reference.loader).

`load_reference` adds these rows to the shipped set and writes them with the same rules: upsert by
natural key, keep an admin's edits, deactivate what is no longer shipped, one transaction. The
sources defined here join the Source table's rows (a Source row not shipped would be deactivated).
"""

from pathlib import Path

import yaml

from planner import models as ref
from planner.reference.loader import Table, _flag

CYCLE_REFERENCE = Path(__file__).resolve().parent / "cycle-reference.yaml"

CYCLE_TABLES = (
    Table(
        ref.BillingCode,
        ("code",),
        ("code", "kind", "description", "product", "billing_unit", "note", "verification"),
    ),
    Table(
        ref.VialPrice,
        ("product", "vial_units"),
        ("product", "vial_units", "price", "currency", "ndc", "note", "verification"),
    ),
    Table(ref.HandoutText, ("code",), ("code", "section", "product", "position", "text", "verification")),
    Table(ref.ResponsePolicy, ("code",), ("code", "value", "note", "clinic_policy", "verification")),
)
CYCLE_ADVICE = "non_response_advice"


def read_cycle(path=CYCLE_REFERENCE):
    with open(path, encoding="utf-8") as data:
        return yaml.safe_load(data)


def _sourced(entry, where):
    return {"verification": _flag(entry["flag"], where), "sources": list(entry["sources"]), "is_active": True}


def cycle_rows(data):
    """{Table: [row, ...]} for the cycle tables, and the extra Source rows: plain data, no database."""
    rows = {table: [] for table in CYCLE_TABLES}
    by_model = {table.model: rows[table] for table in CYCLE_TABLES}
    sources = [
        {"code": code, "citation": source["title"], "url": source.get("url") or "", "is_active": True}
        for code, source in data["sources"].items()
    ]
    for entry in data["billing_codes"]:
        code = str(entry["code"])
        by_model[ref.BillingCode].append(
            {
                "code": code,
                "kind": entry["kind"],
                "description": entry["description"],
                "product": entry.get("product"),
                "billing_unit": entry.get("billing_unit"),
                "note": entry.get("note") or "",
                **_sourced(entry, f"billing code {code}"),
            }
        )
    for entry in data.get("vial_prices") or []:
        by_model[ref.VialPrice].append(
            {
                "product": entry["product"],
                "vial_units": entry["vial_units"],
                "price": entry.get("price"),
                "currency": entry.get("currency") or "USD",
                "ndc": entry.get("ndc") or "",
                "note": entry.get("note") or "",
                **_sourced(entry, f"vial price {entry['product']} {entry['vial_units']}"),
            }
        )
    for entry in data["handout"]:
        by_model[ref.HandoutText].append(
            {
                "code": entry["code"],
                "section": entry["section"],
                "product": entry.get("product"),
                "position": entry["position"],
                "text": entry["text"],
                **_sourced(entry, f"handout {entry['code']}"),
            }
        )
    # The advice shown with the non-response flag: clinician-facing sentences, kept with the handout's
    # (same table, their own section) so that one admin page curates every sentence the app shows.
    for entry in data[CYCLE_ADVICE]:
        by_model[ref.HandoutText].append(
            {
                "code": entry["code"],
                "section": ref.HandoutText.Section.NON_RESPONSE,
                "product": None,
                "position": entry["position"],
                "text": entry["text"],
                **_sourced(entry, f"advice {entry['code']}"),
            }
        )
    for entry in data["response_policy"]:
        by_model[ref.ResponsePolicy].append(
            {
                "code": entry["code"],
                "value": entry["value"],
                "note": entry["note"],
                "clinic_policy": True,
                **_sourced(entry, f"response policy {entry['code']}"),
            }
        )
    return rows, sources
