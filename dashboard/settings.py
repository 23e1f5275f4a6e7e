"""Locally generated secrets: the sign-in cookie key lives in a gitignored file, never in code."""
from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path

import streamlit as st

SECRETS_FILE = Path(os.environ.get("DIGITLAB_SECRETS") or Path.cwd() / ".streamlit" / "secrets.toml")


def cookie_key() -> str:
    """The JWT key for the sign-in cookie; generated into the secrets file on first run."""
    try:
        if "cookie_key" in st.secrets:
            return str(st.secrets["cookie_key"])
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):  # no secrets file yet
        pass
    if SECRETS_FILE.exists():
        found = tomllib.loads(SECRETS_FILE.read_text(encoding="utf-8")).get("cookie_key")
        if found:
            return str(found)
    key = secrets.token_hex(32)
    SECRETS_FILE.parent.mkdir(parents=True, exist_ok=True)
    existing = SECRETS_FILE.read_text(encoding="utf-8") if SECRETS_FILE.exists() else ""
    SECRETS_FILE.write_text(existing + f'\ncookie_key = "{key}"\n', encoding="utf-8")
    SECRETS_FILE.chmod(0o600)
    return key
