"""The README's safety section is generated from the reference data and cannot go stale (issue 13)."""

from pathlib import Path

import pytest
from django.core.management import call_command

from planner.reference import safety_table

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.django_db
@pytest.mark.usefixtures("shipped_reference")
def test_readme_safety_table_matches_the_shipped_reference_data():
    rendered = safety_table.render_markdown()
    in_readme = safety_table.readme_table(README.read_text(encoding="utf-8"))
    assert in_readme == rendered, "The README's safety table is stale: run `manage.py safety_table --write-readme`."
    assert "\n## Safety checks\n" in README.read_text(encoding="utf-8")


@pytest.mark.django_db
@pytest.mark.usefixtures("shipped_reference")
def test_safety_table_has_no_blank_cell_and_says_what_the_planner_does_without_a_figure():
    products = safety_table.products_with_checks()
    assert [entry.product.code for entry in products] == ["ONA", "ABO", "INCO", "RIMA", "DAXI"]
    for entry in products:
        assert [check for check, _cell in entry.rows] == list(safety_table.CHECKS)
        for check, cell in entry.rows:
            assert cell.value, (entry.product.code, check.key)
            if not cell.is_labelled:
                assert cell.value == "not labelled" and cell.instead == check.instead
    daxi = dict(products[-1].rows)
    assert daxi[safety_table.CHECKS[0]].value == "250 U Daxxify"
    ceiling = next(cell for check, cell in products[-1].rows if check.key == "hard_ceiling")
    assert ceiling.value == "300 U Daxxify" and ceiling.clinic_policy
    myobloc_doses = dict(products[3].rows)[safety_table.DOSE_CHECK]
    assert myobloc_doses.summary == "not labelled: no sourced dose for any muscle; every row warns 'check the dose'"


def test_safety_table_markdown_cell_keeps_data_inside_its_cell():
    assert safety_table.markdown_cell("a | b\n<script>&") == "a \\| b &lt;script&gt;&amp;"


def test_safety_table_write_replaces_only_the_text_between_the_markers():
    text = "# App\n\n## Safety checks\n\n<!-- safety-table:start -->\nold\n<!-- safety-table:end -->\n\n## Roles\n"
    written = safety_table.with_table(text, "| new |\n")
    assert (
        written
        == "# App\n\n## Safety checks\n\n<!-- safety-table:start -->\n| new |\n<!-- safety-table:end -->\n\n## Roles\n"
    )
    assert safety_table.readme_table(written) == "| new |\n"
    with pytest.raises(safety_table.ReadmeMarkersMissing):
        safety_table.with_table("# no markers\n", "| new |\n")


@pytest.mark.django_db
@pytest.mark.usefixtures("shipped_reference")
def test_safety_table_command_prints_the_table(capsys):
    call_command("safety_table")
    assert capsys.readouterr().out == safety_table.render_markdown()
