"""The documentation keeps to the code: the README stays a front door, every link resolves, and the
configuration table lists exactly the DIGITLAB_* variables the app reads."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
APP_CODE = ("ml", "data", "dashboard", "pages")  # what runs in production (tests and bench set their own)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readme_is_a_front_door_starting_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    first_block = text.split("```")[1]
    assert [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()] == \
        ["make run", "make test"]


def test_every_relative_link_and_anchor_resolves():
    anchors = {doc: {_slug(h) for h in re.findall(r"^#+ (.*)$", doc.read_text(), re.M)} for doc in DOCS}
    broken = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (doc.parent / path).resolve() if path else doc
            if not linked.exists():
                broken.append(f"{doc.name}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors.get(linked, set()):
                broken.append(f"{doc.name}: {target}")
    assert not broken


def test_the_configuration_table_lists_exactly_the_variables_the_app_reads():
    read = set()
    for folder in APP_CODE:
        for source in (ROOT / folder).rglob("*.py"):
            read |= set(re.findall(r"\bDIGITLAB_[A-Z_]+\b", source.read_text()))
    table = (ROOT / "docs" / "administration.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(DIGITLAB_[A-Z_]+)` \|", table, re.M))
    assert documented == read
