"""The Health page's blocks: figures at a glance, job lanes, rows per table, library versions, backups."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard import failures, text
from data import backups
from data.users import User
from ml.ops import backup
from ml.ops.health import Health


def size(n: int) -> str:
    """Bytes for people: 1.2 GB, 340 MB, 12 kB."""
    value = float(n)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{n} bytes"


def duration(seconds: float) -> str:
    """Uptime for people: 3 d 4 h, 2 h 5 min, 42 s."""
    s = int(seconds)
    days, hours, minutes = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {s % 60} s" if minutes else f"{s} s"


def ago(when: datetime) -> float:
    """Seconds since a time the store wrote (DuckDB's current_timestamp, stored as local time)."""
    return max(0.0, (datetime.now() - when).total_seconds())


def glance(h: Health) -> None:
    """Six figures in two rows of three: database, active model, uptime, job queue, disk, last backup
    (six in a row cut "2 min 31 s" at 1280 px)."""
    cols = st.columns(3) + st.columns(3)
    cols[0].metric("Database", size(h.db_bytes), help=f"{h.db_path} (write-ahead log {size(h.wal_bytes)})")
    cols[1].metric("Active model", f"#{h.active_model}" if h.active_model is not None else "none",
                   help=h.active_family or "No model is active: train one or run `python -m ml init`.")
    cols[2].metric("Uptime", duration(h.uptime_s), help=f"Server process started {h.started_at:%Y-%m-%d %H:%M:%S}")
    cols[3].metric("Jobs queued", f"{h.queued:,}", help=f"{h.live_workers} of {len(h.lanes)} lane workers alive")
    cols[4].metric("Disk free", size(h.disk_free), help=f"of {size(h.disk_total)} on the database's disk")
    good = h.last_good_backup
    cols[5].metric("Last backup", f"{duration(ago(good.created_at))} ago" if good else "never",
                   help=f"{good.created_at:%Y-%m-%d %H:%M:%S} to {good.path}" if good else "Press Back up now below.")
    if h.last_backup is not None and not h.last_backup.ok:
        st.error(f"The last backup ({h.last_backup.created_at:%Y-%m-%d %H:%M}) failed: {text.md(h.last_backup.message)}")


def lanes(h: Health) -> None:
    st.subheader("Job lanes")
    if not h.lanes:
        st.info("No job runner in this process.")
        return
    frame = pd.DataFrame([{"lane": name, "queued": v.get("queued", 0), "running": v.get("running", 0),
                           "worker": "alive" if v.get("worker_alive") else "stopped"} for name, v in h.lanes.items()])
    st.dataframe(frame, hide_index=True, key="health_lanes")
    dead = [name for name, v in h.lanes.items() if not v.get("worker_alive")]
    if dead:
        st.error(f"The worker of lane {', '.join(dead)} has stopped: its jobs wait until the server restarts.")


def tables(h: Health) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("Rows per table")
        st.dataframe(pd.DataFrame({"table": list(h.rows), "rows": list(h.rows.values())}), hide_index=True,
                     key="health_tables", column_config={"rows": st.column_config.NumberColumn(format="localized")})
    with right:
        st.subheader("Libraries")
        st.dataframe(pd.DataFrame({"library": list(h.versions), "version": list(h.versions.values())}),
                     hide_index=True, key="health_versions")


def backup_block(user: User) -> None:
    """"Back up now", what the last one wrote, and the recent ones."""
    st.subheader("Backups")
    st.caption(f"A consistent copy of the whole database (DuckDB EXPORT DATABASE, Parquet) into "
               f"{backup.default_dir()}. Restore with `python -m ml restore PATH`: it builds a new file and "
               "never touches this one. Model files live in the models folder, not in the backup.")
    if made := st.session_state.pop("health_backup_made", None):
        st.success(made)
    if st.button("Back up now", key="backup_now", icon=":material/backup:"):
        with failures.boundary("backup", user.username), st.spinner("Writing the backup…"):
            result = backup.backup(user.username)
        st.session_state.health_backup_made = (
            f"Backed up {result.tables} tables ({result.rows:,} rows, {size(result.bytes)}) in "
            f"{result.seconds:.1f} s to {text.md(result.path)}.")
        st.rerun()
    done = backups.recent(10)
    if done:
        st.dataframe(pd.DataFrame([{"when": b.created_at, "by": b.actor, "ok": b.ok, "size": size(b.bytes),
                                    "tables": b.tables, "rows": b.table_rows, "path": b.path, "message": b.message}
                                   for b in done]), hide_index=True, key="health_backups")
