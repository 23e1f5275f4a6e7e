"""One place reads the environment: every DIGITLAB_* variable is named in ml.config and nowhere else."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ml import config

ROOT = Path(__file__).resolve().parent.parent
# data.db opens the store itself (data imports nothing of ours), so DIGITLAB_DB is named there too.
ALSO_NAMED_IN = {"data/db.py": {config.DB}}


def _named_variables(path: Path) -> set[str]:
    """The DIGITLAB_* names a module holds as a whole string (sentences that mention one do not count)."""
    return {node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.startswith("DIGITLAB_") and node.value.replace("_", "").isalnum()
            and node.value.upper() == node.value}


def test_no_module_but_config_names_a_variable():
    named = {}
    for folder in ("ml", "data", "dashboard", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            found = _named_variables(path) - ALSO_NAMED_IN.get(rel, set())
            if found and rel != "ml/config.py":
                named[rel] = sorted(found)
    assert named == {}


def test_config_lists_every_variable_it_is_asked_for(monkeypatch):
    assert set(config.VARIABLES) == _named_variables(ROOT / "ml" / "config.py")
    monkeypatch.setenv(config.FIT_THREADS, "3")
    assert config.get(config.FIT_THREADS) == "3"
    with pytest.raises(KeyError):
        config.get("DIGITLAB_NOT_A_SETTING")
