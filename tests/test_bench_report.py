"""`python -m bench.report`: docs/performance.md's figures table is written from bench/results.json."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench import core, report

ROOT = Path(__file__).resolve().parent.parent


def _results(tmp_path: Path, rows: list[core.Row], mode: str | None = None) -> Path:
    out = tmp_path / "results.json"
    core.write_json(rows, False, 754.0, out, mode=mode)
    return out


ROWS = [
    core.Row("batch job: images/s", "images/s", 1184.0, 1100.0, 1200.0, 1000.0, 828.2, True, ""),
    core.Row("predict path: canvas → row committed", "ms", 16.12, 12.74, 34.28, 5.0, 1.792, False, "a | note"),
    core.Row("fit svc: embedded digits (1,437)", "s", 0.1754, 0.17, 0.19, None, None, False, ""),
    core.Row("tuning: pick a study", "s", math.nan, math.nan, math.nan, 2.0, None, False, "failed: TimeoutError"),
]


def test_the_table_is_the_runs_own_figures(tmp_path):
    block = report.render(json.loads(_results(tmp_path, ROWS).read_text()))
    lines = block.splitlines()
    assert lines[0].startswith("Figures of the latest `make bench` (full run finished ")
    assert "| batch job: images/s | 1184 | 1100 | 1200 | images/s | ≥1000 | 828.2 | 1.43x | pass |" in lines
    assert "| predict path: canvas → row committed | 16.12 | 12.74 | 34.28 | ms | ≤5 | 1.792 | 9.00x | short |" in lines
    assert "| fit svc: embedded digits (1,437) | 0.1754 | 0.17 | 0.19 | s |  |  |  | info |" in lines
    assert "| tuning: pick a study | - | - | - | s | ≤2 |  |  | failed |" in lines
    assert "- predict path: canvas → row committed: a \\| note" in lines  # a note cannot break the table


def test_only_the_marked_block_is_rewritten_and_again_gives_the_same_document(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nMethod.\n\n{report.BEGIN}\nold table\n{report.END}\n\nAfter.\n")
    results = _results(tmp_path, ROWS)
    assert report.main(["--results", str(results), "--doc", str(doc)]) == 0
    first = doc.read_text()
    assert first.startswith("# Performance\n\nMethod.\n\n" + report.BEGIN + "\nFigures of the latest")
    assert first.endswith(report.END + "\n\nAfter.\n") and "old table" not in first
    assert report.main(["--results", str(results), "--doc", str(doc)]) == 0
    assert doc.read_text() == first


@pytest.mark.parametrize("case", ["missing", "smoke", "not json", "no markers"])
def test_what_cannot_be_used_is_one_sentence_and_the_document_is_left_alone(tmp_path, case, capsys):
    doc = tmp_path / "performance.md"
    doc.write_text(f"{report.BEGIN}\nkept\n{report.END}\n" if case != "no markers" else "no block here\n")
    results = tmp_path / "results.json"
    if case == "smoke":
        _results(tmp_path, ROWS, mode="smoke")
    elif case == "not json":
        results.write_text("{ half")
    elif case == "no markers":
        _results(tmp_path, ROWS)
    before = doc.read_text()
    assert report.main(["--results", str(results), "--doc", str(doc)]) == 1
    message = capsys.readouterr().err.strip()
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message
    assert doc.read_text() == before


def test_the_published_document_has_its_generated_block():
    doc = (ROOT / "docs" / "performance.md").read_text()
    assert doc.count(report.BEGIN) == 1 and doc.count(report.END) == 1


def test_it_runs_as_a_module(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(f"{report.BEGIN}\n{report.END}\n")
    run = subprocess.run([sys.executable, "-m", "bench.report", "--results", str(_results(tmp_path, ROWS)),
                          "--doc", str(doc)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "| batch job: images/s |" in doc.read_text()
