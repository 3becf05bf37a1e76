"""`manage.py loadreference`: creates the shipped set, is idempotent, keeps admins' edits, never deletes."""

import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from patients.sides import RelativeSide
from planner import models as ref
from planner.reference.cycle_loader import read_cycle
from planner.reference.loader import CLINICAL_REFERENCE, CURATION, ReferenceDataError, load_reference, read_shipped

pytestmark = pytest.mark.django_db


def report(reports, name):
    return next(report for report in reports if report.name == name)


def run_command(*args):
    out = io.StringIO()
    call_command("loadreference", *args, stdout=out)
    return out.getvalue()


def write_shipped(tmp_path, change):
    """A copy of the shipped YAML with ``change(data)`` applied; returns its path."""
    data, _ = read_shipped()
    change(data)
    path = tmp_path / "clinical-reference.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_it_creates_the_whole_set_on_an_empty_database():
    output = run_command()

    assert "Reference set 0.1-draft" in output
    assert "Posture patterns: 14 created, 0 updated, 0 unchanged, 0 kept (edited locally), 0 deactivated" in output
    # The issue says 20 muscles; the YAML lists 20, erector spinae among them.
    assert "Muscles: 20 created, 0 updated, 0 unchanged" in output
    assert "Suggestion rules: 62 created" in output
    assert "Products: 5 created" in output
    data, curation = read_shipped()
    # The end-of-cycle set (cycle-reference.yaml) adds its own sources (billing code sets).
    cycle_sources = len(read_cycle()["sources"])
    assert ref.Source.objects.count() == len(data["sources"]) + len(curation["extra_sources"]) + cycle_sources
    assert ref.DoseGuideline.objects.count() == len(data["doses"]) == 22
    assert ref.DiluentVolume.objects.count() == len(data["dilution"]["table"])
    assert ref.Caution.objects.count() == len(data["warnings"]) + len(curation["extra_cautions"]) == 16
    assert ref.PolicySetting.objects.count() == len(curation["policy_settings"]) == 7
    assert ref.ProductLimit.objects.count() == len(curation["product_limits"])
    assert ref.PatternComponent.objects.count() == 6
    assert ref.ConditionCode.objects.count() == len(curation["condition_codes"]) == 21
    assert ref.PostureContradiction.objects.count() == len(curation["posture_contradictions"]) == 9


def test_a_second_run_reports_everything_unchanged_and_writes_nothing():
    run_command()
    history_before = ref.SuggestionRule.history.count()

    output = run_command()

    for line in output.splitlines()[1:]:
        assert " 0 created, 0 updated," in line and "0 kept (edited locally), 0 deactivated" in line, line
    assert "Suggestion rules: 0 created, 0 updated, 62 unchanged" in output
    assert ref.SuggestionRule.history.count() == history_before


def test_every_rule_dose_and_limit_has_a_source():
    run_command()
    for model in (ref.SuggestionRule, ref.DoseGuideline, ref.ProductLimit):
        assert not model.objects.filter(sources__isnull=True).exists(), model.__name__


def test_loaded_rows_record_the_load_in_their_history():
    run_command()
    rule = ref.SuggestionRule.objects.get(pattern__code="TORTICAPUT", muscle__code="SCM")
    assert {record.history_change_reason for record in rule.history.all()} == {"loadreference 0.1-draft"}


def test_a_new_row_gets_one_creation_record_with_its_sources_and_one_audit_entry():
    from patients.audit.models import AuditEvent

    load_reference()
    rule = ref.SuggestionRule.objects.get(pattern__code="TORTICAPUT", muscle__code="SCM")
    (record,) = rule.history.all()
    assert record.history_type == "+"
    shipped_sources = {source.pk for source in rule.sources.all()}
    assert shipped_sources and {link.source_id for link in record.sources.all()} == shipped_sources
    entries = AuditEvent.objects.filter(object_type="planner.suggestionrule", object_id=str(rule.pk))
    assert [entry.action for entry in entries] == [AuditEvent.Action.CREATE]


def test_it_keeps_a_row_a_reference_admin_edited_and_reports_it(reference_admin):
    run_command()
    dose = ref.DoseGuideline.objects.get(product__code="ABO", muscle__code="SCM", kind="trial_observed")
    dose.max_units = 300
    dose.save()

    output = run_command()

    dose.refresh_from_db()
    assert dose.max_units == 300
    assert "Dose guidelines: 0 created, 0 updated, 21 unchanged, 1 kept (edited locally)" in output
    assert "Dose guidelines: ABO / SCM / trial_observed" in output
    assert "--force" in output


def test_a_rule_whose_side_an_admin_changed_is_kept_not_shipped_again_beside_it():
    load_reference()
    rule = ref.SuggestionRule.objects.get(pattern__code="TORTICAPUT", muscle__code="TRAPEZIUS_UPPER")
    rule.side = RelativeSide.IPSILATERAL  # a clinician resolved the conflict
    rule.save()

    _, reports = load_reference()

    rules = ref.SuggestionRule.objects.filter(pattern__code="TORTICAPUT", muscle__code="TRAPEZIUS_UPPER")
    assert [(r.side, r.is_active) for r in rules] == [("ipsilateral", True)]
    assert report(reports, "Suggestion rules").kept == [("TORTICAPUT", "TRAPEZIUS_UPPER", "unresolved")]

    load_reference(force=True)
    assert [r.side for r in rules.all()] == ["unresolved"]


def test_force_replaces_an_edited_row_with_the_shipped_values():
    run_command()
    muscle = ref.Muscle.objects.get(code="SCM")
    muscle.name = "Sternomastoid"
    muscle.save()
    muscle.sources.clear()

    output = run_command("--force")

    muscle.refresh_from_db()
    assert muscle.name == "Sternocleidomastoid"
    assert set(muscle.sources.values_list("code", flat=True)) >= {"G1", "G4", "G8", "S9", "D12"}
    assert "Muscles: 0 created, 1 updated, 19 unchanged, 0 kept" in output


def test_an_update_from_the_shipped_set_clears_the_clinician_review(tmp_path, reference_admin):
    load_reference()
    rule = ref.SuggestionRule.objects.get(pattern__code="TORTICAPUT", muscle__code="SCM")
    rule.reviewed_by = reference_admin
    rule.save(update_fields=["reviewed_by"])
    rule.refresh_from_db()
    # Marking a row reviewed is not an edit of its values: the loader still owns it.
    assert report(load_reference()[1], "Suggestion rules").kept == []

    def demote(data):
        for row in data["rules"]:
            if row["pattern"] == "TORTICAPUT" and row["muscle"] == "SCM":
                row["priority"] = "secondary"

    _, reports = load_reference(clinical_reference=write_shipped(tmp_path, demote))

    rule.refresh_from_db()
    assert rule.priority == "secondary"
    assert rule.reviewed_by is None
    assert report(reports, "Suggestion rules").updated == 1


def test_a_row_no_longer_shipped_is_deactivated_never_deleted(tmp_path):
    load_reference()

    def drop_rule(data):
        data["rules"] = [
            row
            for row in data["rules"]
            if not (row["pattern"] == "SHOULDER_ELEVATION" and row["muscle"] == "TRAPEZIUS_UPPER")
        ]

    _, reports = load_reference(clinical_reference=write_shipped(tmp_path, drop_rule))

    rule = ref.SuggestionRule.objects.get(pattern__code="SHOULDER_ELEVATION", muscle__code="TRAPEZIUS_UPPER")
    assert rule.is_active is False
    assert report(reports, "Suggestion rules").deactivated == 1
    assert ref.SuggestionRule.objects.count() == 62
    # Shipping it again brings it back.
    load_reference()
    rule.refresh_from_db()
    assert rule.is_active is True


def test_a_row_created_by_an_admin_is_never_deactivated():
    load_reference()
    ref.SuggestionRule.objects.create(
        pattern=ref.PosturePattern.objects.get(code="TORTICAPUT"),
        muscle=ref.Muscle.objects.get(code="PLATYSMA"),
        side="ipsilateral",
        priority="secondary",
    )

    _, reports = load_reference()

    assert ref.SuggestionRule.objects.get(muscle__code="PLATYSMA").is_active
    assert report(reports, "Suggestion rules").deactivated == 0


def test_inconsistent_shipped_data_loads_nothing_and_names_the_row(tmp_path):
    def break_a_rule(data):
        data["rules"][-1]["muscle"] = "DELTOID"

    with pytest.raises(
        ReferenceDataError, match="SuggestionRule TREMOR_YES_YES/DELTOID/bilateral: unknown muscle code"
    ):
        load_reference(clinical_reference=write_shipped(tmp_path, break_a_rule))

    assert not ref.Source.objects.exists()
    assert not ref.Muscle.objects.exists()


def test_shipped_data_breaking_an_invariant_is_refused(tmp_path):
    def invert_a_range(data):
        data["doses"][0]["min"], data["doses"][0]["max"] = 350, 50

    with pytest.raises(ReferenceDataError, match="max_units"):
        load_reference(clinical_reference=write_shipped(tmp_path, invert_a_range))
    assert not ref.DoseGuideline.objects.exists()


def test_the_command_reports_bad_data_as_an_error(monkeypatch, tmp_path):
    path = write_shipped(tmp_path, lambda data: data["rules"][0].update(flag="X"))
    monkeypatch.setattr(
        "planner.management.commands.loadreference.load_reference",
        lambda force: load_reference(clinical_reference=path),
    )

    with pytest.raises(CommandError, match="nothing was loaded.*unknown flag 'X'"):
        call_command("loadreference", stdout=io.StringIO())


def test_the_shipped_files_are_the_ones_beside_the_loader():
    assert CLINICAL_REFERENCE.name == "clinical-reference.yaml" and CLINICAL_REFERENCE.exists()
    assert CURATION.exists()
    assert (CLINICAL_REFERENCE.parent / "clinical-reference.md").exists()
