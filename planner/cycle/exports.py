"""The billing CSV: one row per billing line of each current signed session in a date range.

Cells go through the one CSV-neutralising helper (patients.audit.csvsafe.safe_cell). Billed units
are counts of the session's own product's billing unit; nothing is added across sessions or products.
A session whose record has notes (no code for the product, vials not recorded) gets a row per note.
"""

import csv
import io

from patients.audit.csvsafe import safe_cell
from planner.cycle import selectors as cycle_selectors

BILLING_COLUMNS = [
    "session_id",
    "visit_date",
    "patient_mrn",
    "product_code",
    "product",
    "code",
    "modifiers",
    "billed_units",
    "ndc",
    "description",
    "explanation",
    "sources",
    "verification",
    "note",
]


def billing_csv(sessions):
    """CSV text of the billing lines of ``sessions`` (exports.sessions_in_range: rows prefetched)."""
    codes, prices = cycle_selectors.billing_codes(), cycle_selectors.vial_prices()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(BILLING_COLUMNS)
    for session in sessions:
        record, _ = cycle_selectors.session_billing(session, list(session.injections.all()), codes=codes, prices=prices)
        head = (
            session.pk,
            session.visit.date.isoformat(),
            session.visit.patient.mrn,
            session.product.code,
            session.product.brand_name,
        )
        for line in record.lines:
            writer.writerow(
                safe_cell(value)
                for value in (
                    *head,
                    line.code,
                    " ".join(line.modifiers),
                    "" if line.units is None else line.units,
                    line.ndc,
                    line.description,
                    line.explanation,
                    " ".join(line.sources),
                    line.verification,
                    "",
                )
            )
        for note in record.notes:
            writer.writerow(safe_cell(value) for value in (*head, "", "", "", "", "", "", "", "", note))
    return out.getvalue()
