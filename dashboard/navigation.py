"""Which pages exist and which roles may open them: the one table the menu and the page guards read."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ml.governance import policy

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


@dataclass(frozen=True)
class PageSpec:
    """A page of the menu; who may open it is the capability of the same key in `ml.governance.policy`."""

    key: str
    title: str
    icon: str
    section: str

    @property
    def roles(self) -> tuple[str, ...]:
        return policy.CAPABILITIES[self.key]

    @property
    def path(self) -> Path:
        return PAGES_DIR / f"{self.key}.py"

    @property
    def url_path(self) -> str:
        return self.key


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "Home", ":material/home:", "Recognise"),
    PageSpec("draw", "Draw", ":material/draw:", "Recognise"),
    PageSpec("upload", "Upload", ":material/upload_file:", "Recognise"),
    PageSpec("batch", "Batch", ":material/dynamic_feed:", "Recognise"),
    PageSpec("history", "History", ":material/history:", "Recognise"),
    PageSpec("analytics", "Analytics", ":material/monitoring:", "Recognise"),
    PageSpec("datasets", "Data", ":material/dataset:", "Model lab"),
    PageSpec("train", "Train", ":material/model_training:", "Model lab"),
    PageSpec("models", "Models", ":material/inventory_2:", "Model lab"),
    PageSpec("compare", "Compare", ":material/compare:", "Model lab"),
    PageSpec("tuning", "Tuning", ":material/tune:", "Model lab"),
    PageSpec("users", "Users", ":material/group:", "Admin"),
    PageSpec("audit", "Audit log", ":material/policy:", "Admin"),
    PageSpec("jobs", "Jobs", ":material/work_history:", "Admin"),
    PageSpec("health", "Health", ":material/monitor_heart:", "Admin"),
    PageSpec("usage", "Usage", ":material/query_stats:", "Admin"),
    PageSpec("settings", "Settings", ":material/settings:", "Admin"),
    PageSpec("account", "Account", ":material/key:", "Account"),
)
BY_KEY = {p.key: p for p in PAGES}


def st_page(spec: PageSpec, *, default: bool = False):
    """The st.Page of a spec; built the same way everywhere so links and navigation agree."""
    return st.Page(str(spec.path), title=spec.title, icon=spec.icon, url_path=spec.url_path, default=default)


def link(key: str, label: str | None = None, query_params: dict[str, str] | None = None) -> None:
    """A link to another page by its key (`query_params` tell that page what to open)."""
    spec = BY_KEY[key]
    st.page_link(st_page(spec), label=label or spec.title, icon=spec.icon,
                 query_params=query_params)


def allowed(role: str) -> list[PageSpec]:
    return [p for p in PAGES if policy.can(role, p.key)]
