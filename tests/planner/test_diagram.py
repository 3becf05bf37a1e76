"""The neck diagram (planner.documents.diagram): pure, no database.

Parsed back with ElementTree, as a PDF renderer would.
"""

import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.documents.diagram import (
    CANVAS_WIDTH,
    DEEP_KEY,
    MUSCLE_VIEWS,
    PANEL_MIDLINE,
    PANEL_SIZE,
    DiagramMark,
    View,
    drawn_views,
    neck_diagram_svg,
)

SVG = "{http://www.w3.org/2000/svg}"

# The muscle codes of the clinical reference (clinical-reference.yaml, "muscles:").
REFERENCE_MUSCLES = (
    "SCM",
    "SPLENIUS_CAPITIS",
    "SPLENIUS_CERVICIS",
    "SEMISPINALIS_CAPITIS",
    "SEMISPINALIS_CERVICIS",
    "TRAPEZIUS_UPPER",
    "LEVATOR_SCAPULAE",
    "SCALENUS_ANTERIOR",
    "SCALENUS_MEDIUS",
    "SCALENUS_POSTERIOR",
    "LONGISSIMUS_CAPITIS",
    "LONGISSIMUS_CERVICIS",
    "OBLIQUUS_CAPITIS_INFERIOR",
    "OBLIQUUS_CAPITIS_SUPERIOR",
    "RECTUS_CAPITIS_POSTERIOR_MAJOR",
    "LONGUS_COLLI",
    "LONGUS_CAPITIS",
    "PLATYSMA",
    "SUBMENTAL_COMPLEX",
    "ERECTOR_SPINAE_UPPER_THORACIC",
)
DEEP_MUSCLES = {
    "SPLENIUS_CERVICIS",
    "SEMISPINALIS_CERVICIS",
    "LONGISSIMUS_CAPITIS",
    "LONGISSIMUS_CERVICIS",
    "OBLIQUUS_CAPITIS_INFERIOR",
    "OBLIQUUS_CAPITIS_SUPERIOR",
    "RECTUS_CAPITIS_POSTERIOR_MAJOR",
    "LONGUS_COLLI",
    "LONGUS_CAPITIS",
}


def mark(muscle_code="SCM", side="left", units="50", unit_label="U Botox", sites=2, **extra):
    return DiagramMark(
        muscle_code=muscle_code,
        side=side,
        units=Decimal(units) if isinstance(units, str) else units,
        unit_label=unit_label,
        sites=sites,
        **extra,
    )


def parse(svg):
    return ET.fromstring(str(svg))


def panel(root, view):
    (found,) = [g for g in root.iter(f"{SVG}g") if g.get("data-view") == str(view)]
    return found


def markers(root, view):
    """{number: (cx, cy)} of the markers in one panel, in panel coordinates (midline at x = 150)."""
    found = {}
    for group in panel(root, view).iter(f"{SVG}g"):
        if group.get("class") == "neck-diagram__marker":
            circle = group.find(f"{SVG}circle")
            found.setdefault(group.get("data-number"), []).append((float(circle.get("cx")), float(circle.get("cy"))))
    return found


def regions(root, view):
    return [
        path for path in panel(root, view).iter(f"{SVG}path") if "neck-diagram__region" in (path.get("class") or "")
    ]


def legend_entries(root):
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "neck-diagram__legend-entry"]


def text_of(element):
    return " ".join(part.strip() for part in element.itertext() if part.strip())


def legend_texts(root):
    return [text_of(entry) for entry in legend_entries(root)]


def path_xs(path):
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]
    return numbers[0::2]


# --- sides -----------------------------------------------------------------------------------------


def test_a_left_scm_marker_is_on_the_viewers_right_in_front_and_on_the_viewers_left_behind():
    root = parse(neck_diagram_svg([mark("SCM", "left")]))

    ((front_x, _),) = markers(root, View.FRONT)["1"]
    ((back_x, _),) = markers(root, View.BACK)["1"]

    assert front_x > PANEL_MIDLINE
    assert back_x < PANEL_MIDLINE


def test_a_right_scm_marker_is_on_the_viewers_left_in_front_and_on_the_viewers_right_behind():
    root = parse(neck_diagram_svg([mark("SCM", "right")]))

    assert markers(root, View.FRONT)["1"][0][0] < PANEL_MIDLINE
    assert markers(root, View.BACK)["1"][0][0] > PANEL_MIDLINE


@pytest.mark.parametrize("code", REFERENCE_MUSCLES)
@pytest.mark.parametrize("side", ["left", "right"])
def test_every_muscle_is_drawn_on_its_side_in_each_view_where_it_is_visible(code, side):
    root = parse(neck_diagram_svg([mark(code, side)]))

    for view in View:
        found_markers = markers(root, view)
        found_regions = regions(root, view)
        if view not in drawn_views(code):
            assert found_markers == {}
            assert found_regions == []
            continue
        # The patient's left is the viewer's right in front, and the viewer's left behind.
        on_viewer_right = (side == "left") == (view is View.FRONT)
        ((x, _),) = found_markers["1"]
        (region,) = found_regions
        xs = path_xs(region)
        if on_viewer_right:
            assert x > PANEL_MIDLINE
            assert min(xs) >= PANEL_MIDLINE - 1  # regions may touch the midline, never cross it
        else:
            assert x < PANEL_MIDLINE
            assert max(xs) <= PANEL_MIDLINE + 1
        assert region.get("data-muscle") == code
        assert region.get("data-side") == side


def test_each_panel_labels_the_patients_right_and_left_on_the_correct_side():
    root = parse(neck_diagram_svg([]))

    for view, right_on_viewer_left in ((View.FRONT, True), (View.BACK, False)):
        letters = {
            text.text: float(text.get("x"))
            for text in panel(root, view).iter(f"{SVG}text")
            if text.get("class") == "neck-diagram__side"
        }
        assert (letters["R"] < PANEL_MIDLINE) is right_on_viewer_left
        assert (letters["L"] > PANEL_MIDLINE) is right_on_viewer_left


def test_the_side_is_read_whatever_its_case_and_spacing():
    root = parse(neck_diagram_svg([mark("SCM", " LEFT "), mark("SCM", "Right")]))

    assert markers(root, View.FRONT)["1"][0][0] > PANEL_MIDLINE
    assert markers(root, View.FRONT)["2"][0][0] < PANEL_MIDLINE


def test_a_bilateral_muscle_gets_a_marker_on_each_side_in_each_view():
    root = parse(neck_diagram_svg([mark("SCM", "left"), mark("SCM", "right")]))

    for view in View:
        found = markers(root, view)
        assert set(found) == {"1", "2"}
        xs = sorted(found[number][0][0] for number in found)
        assert xs[0] < PANEL_MIDLINE < xs[1]
        assert len(regions(root, view)) == 2


def test_a_muscle_seen_only_from_behind_has_no_marker_in_the_front_view():
    root = parse(neck_diagram_svg([mark("SPLENIUS_CAPITIS", "right", "60")]))

    assert markers(root, View.FRONT) == {}
    assert list(markers(root, View.BACK)) == ["1"]


# --- legend and words ------------------------------------------------------------------------------


def test_the_legend_lists_number_side_muscle_and_units_with_the_product_label():
    root = parse(neck_diagram_svg([mark("SCM", "left", "50", "U Botox", 2)]))

    assert legend_texts(root) == ["1 Left sternocleidomastoid 50 U Botox, 2 sites"]


def test_units_are_shown_as_given_in_the_products_own_label_without_trailing_zeros():
    root = parse(
        neck_diagram_svg(
            [
                mark("SCM", "left", "12.50", "U Xeomin", 1),
                mark("SCM", "right", "1E+2", "U Xeomin", 3),
                mark("TRAPEZIUS_UPPER", "left", "250", "U Dysport", None),
                mark("TRAPEZIUS_UPPER", "right", None, "U Dysport", 2),
            ]
        )
    )

    assert legend_texts(root) == [
        "1 Left sternocleidomastoid 12.5 U Xeomin, 1 site",
        "2 Right sternocleidomastoid 100 U Xeomin, 3 sites",
        "3 Left trapezius, upper (descending) part 250 U Dysport",
        "4 Right trapezius, upper (descending) part dose not recorded, 2 sites",
    ]


def test_the_muscle_name_given_by_the_caller_is_used_and_the_note_appended():
    root = parse(neck_diagram_svg([mark("SCM", "left", muscle_name="Sternocleidomastoid (sternal head)", note="EMG")]))

    assert legend_texts(root) == ["1 Left sternocleidomastoid (sternal head) 50 U Botox, 2 sites EMG"]


def test_numbers_follow_the_order_of_the_marks_so_they_can_match_the_records_table():
    marks = [mark("TRAPEZIUS_UPPER", "right"), mark("SCM", "left"), mark("LEVATOR_SCAPULAE", "right")]
    root = parse(neck_diagram_svg(marks))

    assert [entry.get("data-number") for entry in legend_entries(root)] == ["1", "2", "3"]
    assert [text.split(" ", 2)[1:] for text in legend_texts(root)] == [
        ["Right", "trapezius, upper (descending) part 50 U Botox, 2 sites"],
        ["Left", "sternocleidomastoid 50 U Botox, 2 sites"],
        ["Right", "levator scapulae 50 U Botox, 2 sites"],
    ]


def test_deep_muscles_are_dashed_and_say_deep_and_superficial_ones_are_not():
    root = parse(neck_diagram_svg([mark("LONGUS_COLLI", "left", "15"), mark("SCM", "left")]))

    deep, superficial = sorted(regions(root, View.FRONT), key=lambda path: path.get("data-muscle") != "LONGUS_COLLI")
    assert deep.get("stroke-dasharray")
    assert superficial.get("stroke-dasharray") is None
    assert legend_texts(root)[0] == "1 Left longus colli (deep) 15 U Botox, 2 sites"
    assert "(deep)" not in legend_texts(root)[1]
    assert DEEP_KEY in text_of(root)


def test_the_deep_key_is_left_out_when_no_deep_muscle_is_drawn():
    assert DEEP_KEY not in text_of(parse(neck_diagram_svg([mark("SCM", "left")])))


def test_an_unknown_muscle_code_is_listed_as_not_drawn_instead_of_failing():
    root = parse(neck_diagram_svg([mark("SCM", "left"), mark("MYSTERY_MUSCLE", "right", "10")]))

    texts = legend_texts(root)
    assert texts[1].startswith("2 Right MYSTERY_MUSCLE 10 U Botox, 2 sites")
    assert "not drawn" in texts[1]
    assert "not drawn" not in texts[0]
    assert legend_entries(root)[1].get("data-drawn") == "false"
    assert "2" not in markers(root, View.FRONT) and "2" not in markers(root, View.BACK)
    assert "not drawn" in root.find(f"{SVG}desc").text


@pytest.mark.parametrize(("side", "reason"), [("", "no side recorded"), ("both", "side “both” is not left or right")])
def test_a_mark_without_a_usable_side_is_listed_as_not_drawn(side, reason):
    root = parse(neck_diagram_svg([mark("SCM", side)]))

    (text,) = legend_texts(root)
    assert text == f"1 Sternocleidomastoid 50 U Botox, 2 sites not drawn: {reason}"
    assert markers(root, View.FRONT) == {} and markers(root, View.BACK) == {}
    assert regions(root, View.FRONT) == []


# --- accessibility, print and the CSP --------------------------------------------------------------


def test_the_svg_is_an_image_with_a_title_and_a_description_of_every_mark():
    root = parse(
        neck_diagram_svg(
            [mark("SCM", "left"), mark("SPLENIUS_CAPITIS", "right", "60", sites=1)], title="Injections, 2 March 2026"
        )
    )

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = list(root)[:2]
    assert (title.tag, title.text) == (f"{SVG}title", "Injections, 2 March 2026")
    assert desc.tag == f"{SVG}desc"
    assert "1: left sternocleidomastoid, 50 U Botox, 2 sites (front and back views)" in desc.text
    assert "2: right splenius capitis, 60 U Botox, 1 site (back view)" in desc.text
    assert "patient's right on the viewer's left" in desc.text


def test_text_is_at_least_11_px_and_the_drawing_fits_an_a4_page_without_shrinking():
    root = parse(neck_diagram_svg([mark(code, "left") for code in REFERENCE_MUSCLES]))

    sizes = [float(element.get("font-size")) for element in root.iter() if element.get("font-size")]
    assert sizes and min(sizes) >= 11
    # Text elements without their own size inherit one from an ancestor that has it.
    assert all(text.get("font-size") for text in root.iter(f"{SVG}text"))
    # WeasyPrint's default A4 page leaves about 644 px of width: drawn at 1:1, the sizes above hold on paper.
    assert int(root.get("width")) == CANVAS_WIDTH <= 644
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"


MANY_MARKS = [mark(code, side) for code in REFERENCE_MUSCLES for side in ("left", "right")] + [
    mark("MYSTERY", "left", note="<style>body{}</style>"),
]


@pytest.mark.parametrize("marks", [[], [mark()], MANY_MARKS], ids=["none", "one", "many"])
def test_the_output_has_no_style_attribute_style_element_font_or_external_image(marks):
    svg = str(neck_diagram_svg(marks))
    root = parse(svg)

    assert not re.search(r"\sstyle\s*=", svg)
    assert not [element for element in root.iter() if element.tag in (f"{SVG}style", f"{SVG}image", f"{SVG}script")]
    assert not [element for element in root.iter() if "style" in element.attrib]
    assert "@font-face" not in svg and "url(" not in svg and "href" not in svg


def test_colour_is_never_the_only_signal_every_drawn_mark_has_a_numbered_marker_and_a_legend_entry():
    root = parse(neck_diagram_svg(MANY_MARKS))

    drawn = {number for view in View for number in markers(root, view)}
    entries = {entry.get("data-number"): entry.get("data-drawn") for entry in legend_entries(root)}
    assert drawn == {number for number, is_drawn in entries.items() if is_drawn == "true"}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "neck-diagram__marker":
            assert group.find(f"{SVG}text").text == group.get("data-number")


# --- empty, one, many -------------------------------------------------------------------------------


def test_no_marks_give_the_outline_and_no_injections_recorded():
    root = parse(neck_diagram_svg([]))

    assert "No injections recorded" in text_of(root)
    assert "No injections recorded" in root.find(f"{SVG}desc").text
    assert legend_entries(root) == []
    for view in View:
        assert markers(root, view) == {}
        assert regions(root, view) == []
        outline = [g for g in panel(root, view).iter(f"{SVG}g") if g.get("class") == "neck-diagram__outline"]
        assert outline and len(list(outline[0])) >= 3  # head, and neck-and-shoulder on each side


def test_many_marks_wrap_the_legend_into_two_columns_with_one_entry_each():
    root = parse(neck_diagram_svg(MANY_MARKS))

    entries = legend_entries(root)
    assert len(entries) == len(MANY_MARKS)
    badge_xs = {entry.find(f"{SVG}circle").get("cx") for entry in entries}
    assert len(badge_xs) == 2
    # Every legend line is inside the drawing's height.
    height = float(root.get("height"))
    assert all(float(text.get("y")) < height for entry in entries for text in entry.iter(f"{SVG}text"))


def test_a_long_name_wraps_onto_several_lines_and_loses_nothing():
    name = "Pseudomusculus" * 12 + " with a long and winding description of where exactly it was injected"
    root = parse(neck_diagram_svg([mark("SCM", "left", muscle_name=name)]))

    (entry,) = legend_entries(root)
    lines = [text_of(text) for text in entry.findall(f"{SVG}text")][1:]  # the first text is the badge's number
    assert len(lines) >= 4
    assert lines[-1] == "50 U Botox, 2 sites"
    assert "".join(lines).replace(" ", "") == f"Left {'p' + name[1:]} 50 U Botox, 2 sites".replace(" ", "")


def test_a_few_marks_keep_the_legend_in_one_column():
    root = parse(neck_diagram_svg([mark("SCM", "left"), mark("SCM", "right")]))

    assert len({entry.find(f"{SVG}circle").get("cx") for entry in legend_entries(root)}) == 1


def test_markers_never_sit_on_top_of_each_other_and_stay_inside_their_panel():
    # The same muscle on the same side three times, plus every muscle on both sides.
    marks = [mark("OBLIQUUS_CAPITIS_INFERIOR", "right", "10") for _ in range(3)] + MANY_MARKS
    root = parse(neck_diagram_svg(marks))

    for view in View:
        circles = []
        for group in panel(root, view).iter(f"{SVG}g"):
            if group.get("class") == "neck-diagram__marker":
                circle = group.find(f"{SVG}circle")
                circles.append((float(circle.get("cx")), float(circle.get("cy")), float(circle.get("r"))))
        assert len(circles) == sum(view in drawn_views(m.muscle_code) for m in marks)
        for index, (x, y, r) in enumerate(circles):
            assert r <= x <= PANEL_SIZE - r and r <= y <= PANEL_SIZE - r
            for other_x, other_y, other_r in circles[index + 1 :]:
                assert math.dist((x, y), (other_x, other_y)) >= r + other_r


def test_a_displaced_marker_has_a_leader_line_back_to_its_region():
    root = parse(neck_diagram_svg([mark("SCM", "left"), mark("SCM", "left", "10")]))

    (first,), (second,) = markers(root, View.FRONT)["1"], markers(root, View.FRONT)["2"]
    assert first != second
    leaders = [
        line for line in panel(root, View.FRONT).iter(f"{SVG}line") if line.get("class") == "neck-diagram__leader"
    ]
    assert [(float(line.get("x2")), float(line.get("y2"))) for line in leaders] == [second]
    assert len(regions(root, View.FRONT)) == 1  # one region per muscle and side, however many rows


# --- safety ------------------------------------------------------------------------------------------


def test_text_in_names_labels_notes_and_codes_comes_out_escaped():
    script = "<script>alert('x')</script>"
    svg = str(
        neck_diagram_svg(
            [
                mark("SCM", "left", muscle_name=f"{script} & co", unit_label=f'U "{script}"', note=script),
                mark('"><script>alert(1)</script>', "right"),
            ],
            title=script,
        )
    )

    assert "<script" not in svg
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert script in root.find(f"{SVG}title").text
    assert f"{script} & co" in legend_texts(root)[0]
    assert f'U "{script}"' in legend_texts(root)[0]
    assert '"><script>alert(1)</script>' in legend_texts(root)[1]


def test_characters_xml_cannot_carry_are_dropped_and_whitespace_collapsed():
    root = parse(neck_diagram_svg([mark("SCM", "left", unit_label="U\x00 Bo\x0btox", note="line one\nline two\x1f")]))

    assert legend_texts(root) == ["1 Left sternocleidomastoid 50 U Botox, 2 sites line one line two"]


def test_the_result_is_safe_to_insert_in_a_template_without_double_escaping():
    svg = neck_diagram_svg([mark(muscle_name="A & B")])

    assert Template("{{ svg }}").render(Context({"svg": svg})) == str(svg)


def test_the_output_is_deterministic():
    marks = MANY_MARKS + [mark("SCM", "left") for _ in range(5)]

    assert neck_diagram_svg(marks) == neck_diagram_svg(list(marks)) == neck_diagram_svg(iter(marks))


# --- the views helper --------------------------------------------------------------------------------


def test_every_reference_muscle_is_drawn_in_at_least_one_view():
    assert set(MUSCLE_VIEWS) == set(REFERENCE_MUSCLES)
    assert all(drawn_views(code) for code in REFERENCE_MUSCLES)


@pytest.mark.parametrize(
    ("code", "views"),
    [
        ("SCM", (View.FRONT, View.BACK)),
        ("TRAPEZIUS_UPPER", (View.FRONT, View.BACK)),
        ("SPLENIUS_CAPITIS", (View.BACK,)),
        ("OBLIQUUS_CAPITIS_INFERIOR", (View.BACK,)),
        ("LONGUS_COLLI", (View.FRONT,)),
        ("SCALENUS_MEDIUS", (View.FRONT,)),
        ("NOT_A_MUSCLE", ()),
    ],
)
def test_drawn_views_says_front_back_or_both(code, views):
    assert drawn_views(code) == views


def test_deep_muscles_are_those_the_clinical_reference_calls_deep():
    root = parse(neck_diagram_svg([mark(code, "left") for code in REFERENCE_MUSCLES]))

    dashed = {path.get("data-muscle") for view in View for path in regions(root, view) if path.get("stroke-dasharray")}
    assert dashed == DEEP_MUSCLES


# --- any input ---------------------------------------------------------------------------------------

marks_strategy = st.builds(
    DiagramMark,
    muscle_code=st.one_of(st.sampled_from(REFERENCE_MUSCLES), st.text(max_size=30)),
    side=st.one_of(st.sampled_from(["left", "right"]), st.text(max_size=10)),
    units=st.one_of(st.none(), st.decimals(allow_nan=True, allow_infinity=True)),
    unit_label=st.text(max_size=40),
    sites=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**6)),
    muscle_name=st.text(max_size=120),
    note=st.text(max_size=60),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(marks_strategy, max_size=30))
def test_any_list_of_marks_gives_well_formed_xml_with_one_legend_entry_per_mark(marks):
    root = parse(neck_diagram_svg(marks))

    entries = legend_entries(root)
    assert [entry.get("data-number") for entry in entries] == [str(n) for n in range(1, len(marks) + 1)]
    for view in View:
        for number, spots in markers(root, view).items():
            assert len(spots) == 1
            assert entries[int(number) - 1].get("data-drawn") == "true"
