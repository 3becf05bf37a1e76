"""Which way imports go: production code (planner/, patients/) never imports from tests/, and the patients
app never imports planner (planner builds on patients, not the other way round).

Every module of both packages is imported (walked with pkgutil, so a new module or sub-package is
covered without a list to keep), and every file is read for its import statements, those inside
functions and under an ``if`` included: a conditional import is a dependency too. Migrations are read,
not run, like the rest.
"""

import ast
import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import patients
import planner

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (planner, patients)


def modules():
    """(module name, file) of every module of the production packages, the packages themselves included."""
    found = []
    for package in PACKAGES:
        found.append((package.__name__, Path(package.__file__)))
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            spec = info.module_finder.find_spec(info.name.rpartition(".")[2])
            found.append((info.name, Path(spec.origin)))
    return found


def imported_names(tree, module_name, is_package):
    """(line, absolute name) of every import in ``tree``; relative imports resolved against the module."""
    here = module_name if is_package else module_name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            yield node.lineno, name
            for alias in node.names:  # `from tests import bench`
                yield node.lineno, f"{name}.{alias.name}"


def top(name):
    return name.split(".")[0]


def problems_in(name, filename, source, is_package=False):
    """What is wrong with the imports of module ``name`` (``source``, read from ``filename``), each naming
    the file, line and module."""
    problems = []
    for line, imported in imported_names(ast.parse(source, filename=filename), name, is_package):
        where = f"{filename}:{line} ({name})"
        if top(imported) == "tests":
            problems.append(f"{where} imports {imported} from the tests")
        elif top(name) == "patients" and top(imported) == "planner":
            problems.append(f"{where} imports {imported}: patients must not import planner")
    return list(dict.fromkeys(problems))


def wrong_way_imports():
    problems = []
    for name, path in modules():
        problems += problems_in(name, str(path.relative_to(ROOT)), path.read_text(), path.name == "__init__.py")
    return problems


def test_every_production_module_is_walked():
    names = {name for name, _ in modules()}
    assert {"planner.urls", "planner.settings", "patients.models", "patients.audit.views"} <= names
    assert any(".migrations." in name for name in names)


def test_no_production_module_imports_the_tests_nor_patients_planner():
    assert wrong_way_imports() == []


def test_the_check_names_the_module_and_line_of_a_wrong_way_import():
    conditional = "import os\n\nif os.environ.get('BENCH'):\n    from tests.bench.yardstick import yardstick\n"
    assert problems_in("planner.urls", "planner/urls.py", conditional) == [
        "planner/urls.py:4 (planner.urls) imports tests.bench.yardstick from the tests",
        "planner/urls.py:4 (planner.urls) imports tests.bench.yardstick.yardstick from the tests",
    ]
    in_a_function = "def view():\n    import planner.models\n"
    assert problems_in("patients.views", "patients/views.py", in_a_function) == [
        "patients/views.py:2 (patients.views) imports planner.models: patients must not import planner"
    ]
    # planner may import itself
    assert problems_in("planner.plans.views", "planner/plans/views.py", in_a_function) == []
    relative = "from ..models import Patient\nfrom . import csvsafe\n"
    assert set(imported_names(ast.parse(relative), "patients.audit.views", False)) == {
        (1, "patients.models"),
        (1, "patients.models.Patient"),
        (2, "patients.audit"),
        (2, "patients.audit.csvsafe"),
    }


@pytest.mark.parametrize("name", [name for name, _ in modules() if ".migrations." not in name])
def test_every_production_module_imports(name):
    importlib.import_module(name)


def test_importing_every_production_module_loads_nothing_from_the_tests():
    """In a fresh interpreter, where nothing has loaded tests/ yet (pytest has, here)."""
    script = (
        "import sys, django, importlib;"
        "django.setup();"
        f"[importlib.import_module(name) for name in {[name for name, _ in modules()]!r}];"
        "print(sorted(name for name in sys.modules if name == 'tests' or name.startswith('tests.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "planner.settings"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[]"
