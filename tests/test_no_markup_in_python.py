"""No markup is assembled in Python in the app packages (planner/, patients/): no ``format_html`` and no
``mark_safe``. HTML comes from templates (``render_to_string`` autoescapes data), and a sentence with
data in it that a renderer shows as markup (crispy's help_text) is escaped with ``escape``.

Every file is parsed, so a call, an import or a reference under another name counts and a comment or
docstring that names them does not.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("planner", "patients")
FORBIDDEN = frozenset({"format_html", "mark_safe"})
SAMPLES = Path(__file__).resolve().parent / "fixtures" / "markup_samples"


def uses(tree):
    """(line, name) of every use of a forbidden name: imports, calls, attributes."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.rpartition(".")[2] in FORBIDDEN]
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append((node.lineno, node.attr))
    return found


def app_files():
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def sample(name):
    # Kept as text files: they are the check's own test input, not code of this project.
    return ast.parse((SAMPLES / name).read_text(encoding="utf-8"))


def test_the_check_finds_each_way_of_using_them():
    # An import under its own name, then a call through a module imported under another name.
    assert uses(sample("uses.py.txt")) == [(1, "format_html"), (3, "mark_safe")]
    # Named in a comment and in a string only.
    assert uses(sample("named_only.py.txt")) == []


def test_no_format_html_or_mark_safe_in_the_app_packages():
    files = app_files()
    assert len(files) > 50  # the packages were found
    found = {
        str(path.relative_to(ROOT)): uses(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for path in files
    }
    assert {path: lines for path, lines in found.items() if lines} == {}, "render a template (render_to_string)"
