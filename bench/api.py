"""`python -m bench.api [--quick]`: the REST API under concurrency against a bare FastAPI endpoint in the
same server process, driven by the same client in the same run.

Figures: requests/s at 1, 4, 16 and 64 concurrent clients for `POST /api/v1/predict` (roles, quota,
rate limit, storage, audit, micro-batching) and for the bare endpoint (decode + one `predict_proba`);
the p50 latency of a lone request on each; the server's resident memory; and whether every request was
stored exactly once. Written to bench/api_results.json; `make bench` runs the same measurement as its `api`
group, whose rows land in bench/results.json and docs/performance.md.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.core import Context, Measured, figure

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "api_results.json"
LEVELS = (1, 4, 16, 64)


def _png() -> bytes:
    from ml.datasets.generated.synthetic import pen_digit_on_paper
    out = io.BytesIO()
    pen_digit_on_paper(7).save(out, format="PNG")
    return out.getvalue()


def _drive(url: str, headers: dict, body: bytes, clients: int, total: int) -> tuple[float, list[float], list[dict], int]:
    """`total` requests spread over `clients` threads, each with its own connection: (answered requests/s,
    latencies ms, every answer including each connection's untimed first one, failed requests)."""
    import httpx
    per = max(1, total // clients)
    latencies: list[float] = []
    answers: list[dict] = []
    failed = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client() -> None:
        mine, got, errors = [], [], 0
        with httpx.Client(timeout=300) as http:
            try:
                opening = http.post(url, content=body, headers=headers)  # connected before the clock starts
                opening.raise_for_status()
                got.append(opening.json())
            except httpx.HTTPError:
                errors += 1
            start.wait()
            for _ in range(per):
                began = time.perf_counter()
                try:
                    response = http.post(url, content=body, headers=headers)
                    response.raise_for_status()
                except httpx.HTTPError:
                    errors += 1
                    continue
                mine.append((time.perf_counter() - began) * 1000)
                got.append(response.json())
        with lock:
            latencies.extend(mine)
            answers.extend(got)
            failed[0] += errors

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - began), latencies, answers, failed[0]


def run(*, quick: bool = False, smoke: bool = False) -> dict:
    """Start the bench server on the store of `DIGITLAB_DB` (its user `bench-api` exists, quotas lifted; the
    store is closed here: DuckDB is one process per file), drive both endpoints at every level and return the
    figures (`main` prints them; the `api` group of `python -m bench` turns them into rows)."""
    import psutil

    from data import db
    from ml.governance import api_keys
    from ml.ops.serving import free_port
    _, secret = api_keys.create("bench-api", by="system")
    before = int(db.one("SELECT count(*) FROM predictions WHERE username = 'bench-api'")[0])
    db.close()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.api_server", str(port)], cwd=ROOT, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the bench server did not become ready")
            time.sleep(0.2)
        body = _png()
        api = (f"{base}/api/v1/predict", {"Authorization": f"Bearer {secret}", "Content-Type": "image/png"})
        bare = (f"{base}/bare/predict", {"Content-Type": "image/png"})
        total = 0 if smoke else 200 if quick else 640
        results: dict[str, dict] = {"api": {}, "bare": {}}
        latencies: dict[str, list[float]] = {}
        ids: list[int] = []
        if not smoke:
            _drive(*bare, body, 4, 16)  # warm both (model load, first connections)
            ids += [a["prediction_id"] for a in _drive(*api, body, 4, 16)[2]]
        for clients in LEVELS:
            for name, (url, headers) in (("bare", bare), ("api", api)):
                # smoke: the plumbing only, two clients at most and one timed request each
                drivers = min(clients, 2) if smoke else clients
                n = max(drivers, total if clients > 1 else total // 4)
                rate, timings, answers, failed = _drive(url, headers, body, drivers, n)
                results[name][str(clients)] = {"requests_per_s": round(rate, 1), "failed": failed,
                                               "p50_ms": round(statistics.median(timings), 2) if timings else None}
                if clients == 1:
                    latencies[name] = timings
                if name == "api":
                    ids += [a["prediction_id"] for a in answers]
                print(f"{name:>4} {clients:>2} clients: {rate:8.1f} req/s, p50 {results[name][str(clients)]['p50_ms']} "
                      f"ms, {failed} failed", file=sys.stderr, flush=True)
        rss = psutil.Process(server.pid).memory_info().rss
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = db.one("SELECT count(*) - ?, count(DISTINCT id) - ? FROM predictions WHERE username = 'bench-api'",
                    [before, before])
    return {
        "requests_per_s": {k: {"api": results["api"][k]["requests_per_s"], "bare": results["bare"][k]["requests_per_s"]}
                           for k in results["api"]},
        "failed": {k: {"api": results["api"][k]["failed"], "bare": results["bare"][k]["failed"]} for k in results["api"]},
        "lone_latencies_ms": latencies,
        "lone_p50_ms": {"api": results["api"]["1"]["p50_ms"], "bare": results["bare"]["1"]["p50_ms"]},
        "throughput_16_vs_bare": round(results["api"]["16"]["requests_per_s"] / results["bare"]["16"]["requests_per_s"], 2),
        "lone_p50_vs_bare": round(results["api"]["1"]["p50_ms"] / results["bare"]["1"]["p50_ms"], 2),
        "server_rss_mb": round(rss / 2**20, 1),
        "requests_answered": len(ids), "distinct_ids": len(set(ids)), "rows_stored": int(stored[0]),
        "stored_exactly_once": len(set(ids)) == len(ids) == int(stored[0]) == int(stored[1]),
        "cpus": os.cpu_count(), "quick": quick,
    }


# The `api` group of `python -m bench`: the same run as rows of the table (floor = the bare endpoint).
RATE_FIGURES = {clients: f"api: requests/s, {clients} concurrent client{'s' * (clients > 1)} (floor: bare endpoint)"
                for clients in LEVELS}


def _figures(ctx: Context) -> dict:
    if "api" not in ctx.shared:
        ctx.shared["api"] = run(quick=ctx.quick, smoke=ctx.smoke)
    return ctx.shared["api"]


@figure("api: requests/s", unit="requests/s", higher_is_better=True, group="api")
def api_throughput(ctx: Context) -> dict[str, Measured]:
    f = _figures(ctx)
    rows = {RATE_FIGURES[c]: Measured([f["requests_per_s"][str(c)]["api"]], [f["requests_per_s"][str(c)]["bare"]])
            for c in LEVELS}
    rows["api: throughput at 16 clients / bare endpoint's"] = Measured(
        [f["throughput_16_vs_bare"]], unit="x", target=2.0,
        note="POST /api/v1/predict (key, role, quota, rate limit, stored row, micro-batching) against a bare FastAPI "
             "endpoint in the same server (decode + one predict_proba per request), same httpx client, same run")
    rows["api: every request stored exactly once"] = Measured(
        [100.0 if f["stored_exactly_once"] else 100.0 * min(f["distinct_ids"], f["rows_stored"]) /
         max(f["requests_answered"], f["rows_stored"], 1)], unit="%", target=100.0,
        note=f"{f['requests_answered']:,} answers, {f['distinct_ids']:,} distinct prediction ids, "
             f"{f['rows_stored']:,} rows stored")
    return rows


@figure("api: lone request latency (p50)", unit="ms", group="api")
def api_lone_latency(ctx: Context) -> dict[str, Measured]:
    f = _figures(ctx)
    lone = f["lone_latencies_ms"]
    return {
        "api: lone request p50 (floor: bare endpoint)": Measured(lone["api"], lone["bare"]),
        "api: lone request p50 / bare endpoint's": Measured([f["lone_p50_vs_bare"]], unit="x", target=1.5,
                                                            note="one client, one request at a time"),
        "api: server RSS after the run": Measured([f["server_rss_mb"]], unit="MB",
                                                  note="the API and the bare endpoint's process, model loaded"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api")
    parser.add_argument("--quick", action="store_true", help="fewer requests per level")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="digitlab-bench-api-"))
    os.environ.update(DIGITLAB_DB=str(workdir / "bench.duckdb"), DIGITLAB_MODELS=str(workdir / "models"),
                      DIGITLAB_ADMIN_PASSWORD="bench-admin-pw-1", DIGITLAB_SECRETS=str(workdir / "secrets.toml"))
    from bench.usage import unlimited
    from data import db
    from ml.governance import accounts
    from ml.ops.bootstrap import prepare
    prepare(announce=lambda _: None)
    accounts.create_user("bench-api", "bench-api", "viewer", "bench-user-pw-1", by="system", must_change_password=False)
    unlimited(("bench-api",))
    figures = run(quick=args.quick)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps({k: v for k, v in figures.items() if k != "lone_latencies_ms"}, indent=2))
    db.close()
    return 0 if figures["stored_exactly_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
