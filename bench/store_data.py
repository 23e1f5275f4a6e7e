"""Seeded synthetic history for the store figures, generated in bulk with numpy and appended
through Arrow into a separate database file (never the user's)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from data import audit, db

USERS = [f"user{i:03d}" for i in range(100)]
ACTIONS = ["sign_in", "sign_out", "predict_upload", "feedback", "open_page:users", "train_model"]
ROLES = ["viewer", "analyst", "admin"]
DETAILS = ["", "", "", '{"new":{"role":"analyst"},"old":{"role":"viewer"}}', '{"new":{"active":false},"old":{"active":true}}']
DAYS = 90
NEXT_IDS = "SELECT nextval('audit_seq') FROM range(?)"


def _timestamps(rng: np.random.Generator, n: int) -> pa.Array:
    now = np.datetime64("now", "us")
    offsets = rng.integers(0, DAYS * 86_400_000_000, size=n).astype("timedelta64[us]")
    return pa.array(np.sort(now - offsets))


def fill(n_predictions: int, n_audit: int, *, model_id: int, seed: int = 42) -> None:
    """Append n predictions and n audit rows (hash-chained); ~0.5 s per million rows of the wide table on
    this machine, plus ~2 s per million audit hashes."""
    rng = np.random.default_rng(seed)
    cur = db.cursor()
    chunk = 250_000
    for start in range(0, n_predictions, chunk):
        n = min(chunk, n_predictions - start)
        probs = rng.dirichlet(np.full(10, 0.3), size=n)
        digit = probs.argmax(axis=1)
        inputs = (rng.random((n, 64), dtype=np.float32) * 16).astype(np.float32)
        table = pa.table({
            "ts": _timestamps(rng, n),
            "username": pa.array(rng.choice(USERS, size=n)),
            "source": pa.array(rng.choice(["draw", "upload", "cli"], size=n)),
            "model_id": pa.array(np.full(n, model_id, dtype=np.int32)),
            "digit": pa.array(digit.astype(np.int8)),
            "confidence": pa.array(probs.max(axis=1)),
            "probabilities": pa.FixedSizeListArray.from_arrays(pa.array(probs.ravel()), 10),
            "model_input": pa.FixedSizeListArray.from_arrays(pa.array(inputs.ravel()), 64),
            "latency_ms": pa.array(rng.gamma(2.0, 1.5, size=n)),
        })
        cur.register("chunk", table)
        cur.execute("""
            INSERT INTO predictions (ts, username, source, model_id, digit, confidence, probabilities,
                                     model_input, image, latency_ms, filename)
            SELECT ts, username, source, model_id, digit, confidence, probabilities::DOUBLE[10],
                   model_input::FLOAT[], NULL, latency_ms, NULL FROM chunk""").fetchall()
        cur.unregister("chunk")
    prev = _last_hash(cur)
    for start in range(0, n_audit, chunk):
        n = min(chunk, n_audit - start)
        ids = sorted(r[0] for r in cur.execute(NEXT_IDS, [n]).fetchall())  # explicit ids: the chain's order
        table, prev = _audit_chunk(rng, n, prev)
        cur.register("chunk", table.append_column("id", pa.array(ids, pa.int64())))
        cur.execute("INSERT INTO audit_log (id, ts, username, role, action, outcome, target, detail, details, session_id, "
                    "prev_hash, hash) SELECT id, ts, username, role, action, outcome, target, detail, details::JSON, "
                    "session_id, prev_hash, hash FROM chunk").fetchall()
        cur.unregister("chunk")
    audit.reset_chain_cache()  # the app's next row links to the last one written here
    cur.execute("CHECKPOINT").fetchall()


def _last_hash(cur) -> str:
    found = cur.execute(audit.LAST_HASH).fetchone()
    return (found[0] if found else None) or audit.GENESIS


def _audit_chunk(rng: np.random.Generator, n: int, prev: str) -> tuple[pa.Table, str]:
    """n audit rows with every column the app writes, chained to `prev` exactly as `audit.record` chains them
    (so `audit verify` walks a million real links). The columns are drawn in bulk by numpy; only the hashes,
    sequential by nature, are a Python loop (~2 s per million)."""
    ts = _timestamps(rng, n)
    user_idx = rng.integers(0, len(USERS), size=n)
    columns = {
        "ts": ts.to_pylist(),
        "username": [USERS[i] for i in user_idx],
        "role": [ROLES[i % 3] for i in user_idx],
        "action": rng.choice(ACTIONS, size=n).tolist(),
        "outcome": rng.choice(["ok", "ok", "ok", "denied", "error"], size=n).tolist(),
        "target": rng.choice(["", "user001", "model 3"], size=n).tolist(),
        "detail": rng.choice(["", "wrong username or password", "bad file: empty"], size=n).tolist(),
        "details": rng.choice(DETAILS, size=n).tolist(),
        "session_id": [f"s{i:011x}" for i in rng.integers(0, 1 << 40, size=n)],
    }
    for key in ("target", "details"):
        columns[key] = [v or None for v in columns[key]]
    hashes, prevs = [], []
    for ts_, user, role, action, outcome, target, detail, details, session in zip(*columns.values()):
        prevs.append(prev)
        prev = audit.chain_hash(prev, audit.content(ts_, user, role, action, outcome, target, detail, details, session))
        hashes.append(prev)
    table = pa.table({**{k: pa.array(v) for k, v in columns.items()}, "ts": ts, "prev_hash": pa.array(prevs),
                      "hash": pa.array(hashes)})
    return table, prev
