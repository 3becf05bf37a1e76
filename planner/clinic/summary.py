"""The patient's treatment summary: every signed session, the side effects and the TWSTRS totals.

One template (templates/planner/clinic/includes/summary_document.html) serves the page, the
browser's print and the PDF, so the three never disagree. Reads: the visit records (four queries)
and the signed sessions with their rows (two), whatever the length of the history.
"""

from dataclasses import dataclass

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from planner.documents.chart_sections import chart_data
from planner.plans.history import patient_cycles, patient_records


@dataclass
class Summary:
    patient: object
    cycles: list  # planner.plans.history.Cycle, oldest first
    records: list  # patients.selectors.VisitRecord, oldest first
    outcome: object  # planner.documents.charts.OutcomeChart or None
    generated_at: object

    @property
    def scored(self):
        """Visits with a TWSTRS entry, oldest first."""
        return [record for record in self.records if record.twstrs is not None and not record.twstrs.empty]

    @property
    def events(self):
        """(reported on, event, the cycle it followed or None), oldest report first."""
        attributed = {
            id(reported.event): cycle for cycle in self.cycles for reported in cycle.events
        }  # a side effect reported before any session has no cycle
        return [
            (record.visit.date, event, attributed.get(id(event)))
            for record in self.records
            for event in record.adverse_events
        ]

    @property
    def products(self):
        """The products given, in order of first use, each with its number of sessions."""
        counts = {}
        for cycle in self.cycles:
            name = cycle.product.brand_name
            counts[name] = counts.get(name, 0) + 1
        return list(counts.items())


def patient_summary(patient):
    records = patient_records(patient)
    cycles = patient_cycles(patient, records=records)
    outcome, _ = chart_data(cycles, records)
    records.sort(key=lambda record: (record.visit.date, record.visit.pk))
    return Summary(patient=patient, cycles=cycles, records=records, outcome=outcome, generated_at=timezone.now())


def summary_pdf(summary, *, generated_by):
    """The summary as PDF bytes (WeasyPrint), from the same document template as the page."""
    from weasyprint import CSS, HTML  # imported here: loading WeasyPrint costs every other request nothing

    html = render_to_string(
        "planner/clinic/summary_pdf.html",
        {"summary": summary, "patient": summary.patient, "generated_by": generated_by},
    )
    stylesheet = CSS(filename=finders.find("css/outcomes.css"))
    # No base URL: the document references no file or address, so WeasyPrint fetches nothing.
    return HTML(string=html).write_pdf(stylesheets=[stylesheet])
