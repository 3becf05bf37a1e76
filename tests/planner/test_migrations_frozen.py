"""Migrations are frozen in time: none imports the project's own code, whose later edits would change
what an old migration does when a new database is built."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = {"planner", "patients", "tests"}
MIGRATIONS = sorted(path for path in ROOT.glob("*/**/migrations/*.py") if ".venv" not in path.parts)


def _project_imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return [name for name in names if name.split(".")[0] in PROJECT_PACKAGES]


def test_the_migrations_are_found():
    assert ROOT.joinpath("planner/migrations/0001_create_roles.py") in MIGRATIONS


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda path: str(path.relative_to(ROOT)))
def test_a_migration_imports_no_project_code(path):
    assert _project_imports(path) == []
