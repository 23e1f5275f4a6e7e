"""Seeded synthetic history for the store figures, generated in bulk with numpy and appended
through Arrow into a separate database file (never the user's)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from data import db

USERS = [f"user{i:03d}" for i in range(100)]
ACTIONS = ["sign_in", "sign_out", "predict_upload", "feedback", "open_page:users", "train_model"]
DAYS = 90


def _timestamps(rng: np.random.Generator, n: int) -> pa.Array:
    now = np.datetime64("now", "us")
    offsets = rng.integers(0, DAYS * 86_400_000_000, size=n).astype("timedelta64[us]")
    return pa.array(np.sort(now - offsets))


def fill(n_predictions: int, n_audit: int, *, model_id: int, seed: int = 42) -> None:
    """Append n predictions and n audit rows; ~0.5 s per million rows of the wide table on this machine."""
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
    for start in range(0, n_audit, chunk):
        n = min(chunk, n_audit - start)
        table = pa.table({
            "ts": _timestamps(rng, n),
            "username": pa.array(rng.choice(USERS, size=n)),
            "action": pa.array(rng.choice(ACTIONS, size=n)),
            "outcome": pa.array(rng.choice(["ok", "ok", "ok", "denied", "error"], size=n)),
            "detail": pa.array(rng.choice(["", "wrong username or password", "bad file: empty"], size=n)),
        })
        cur.register("chunk", table)
        cur.execute("INSERT INTO audit_log (ts, username, action, outcome, detail) "
                    "SELECT ts, username, action, outcome, detail FROM chunk").fetchall()
        cur.unregister("chunk")
    cur.execute("CHECKPOINT").fetchall()
