"""`python -m bench [--quick] [--only GROUP ...]`: run the figures, print the table, write bench/results.json."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import core


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (under 2 minutes)")
    parser.add_argument("--smoke", action="store_true", help="every figure once on tiny sizes: checks the plumbing "
                                                             "(the test suite runs this); its numbers mean nothing")
    parser.add_argument("--only", nargs="*", default=None,
                        help="figure groups to run (predict store pages training server tuning 'tuning page' "
                             "api recognition numbers)")
    parser.add_argument("--out", type=Path, default=core.RESULTS)
    args = parser.parse_args(argv)

    core.SMOKE = args.smoke
    workdir = Path(tempfile.mkdtemp(prefix="digitlab-bench-"))
    # A separate store: the bench never touches the user's database or models.
    os.environ.update(DIGITLAB_DB=str(workdir / "bench.duckdb"), DIGITLAB_MODELS=str(workdir / "models"),
                      DIGITLAB_ADMIN_PASSWORD="bench-admin-pw-1")
    import logging
    logging.basicConfig(level=logging.WARNING)
    from bench import api, audit, batch, figures, history, numbers, ops, recognition, store_data, tuning, usage  # noqa: F401
    from data import db
    from ml.ops.bootstrap import prepare

    started = time.perf_counter()
    ctx = core.Context(quick=args.quick or args.smoke, workdir=workdir, smoke=args.smoke)
    model_id = prepare(announce=lambda _: None)
    from ml.governance import accounts  # predictions are made in a user's name and roles are checked (ml.governance.policy)
    users = ("bench", "bench-concurrency", "bench-batch", "bench-api")
    for name in users:
        accounts.create_user(name, name, "viewer", "bench-user-pw-1", by="system", must_change_password=False)
    usage.unlimited(users)  # quotas (ml.governance.quotas) are not what is measured
    n_rows = int(ctx.size(1_000_000, 100_000, 2_000))
    t = time.perf_counter()
    store_data.fill(n_rows, n_rows, model_id=model_id)
    ctx.shared["n_rows"] = n_rows
    print(f"generated {n_rows:,} predictions and {n_rows:,} audit rows in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    rows: list[core.Row] = []
    order = ["predict", "store", "pages", "training", "server", "tuning", "tuning page", "api", "recognition", "numbers"]
    for group in order:
        if args.only and group not in args.only:
            continue
        if group in ("recognition", "numbers") and (args.quick or args.smoke) and not args.only:
            continue  # ~5 minutes (it trains the default when none is active): full runs and --only recognition
        if group in ("server", "tuning page") and args.smoke and not args.only:
            continue  # servers and Chromium (~30 s): the suite's browser tests drive the same pages
        for fig in (f for f in core.FIGURES if f.group == group):
            print(f"… {fig.name}", file=sys.stderr, flush=True)
            rows += core.measure(fig, ctx)
            db.connection()  # server figures close it
    seconds = time.perf_counter() - started
    print(core.table(rows))
    print(f"\n{'smoke' if args.smoke else 'quick' if args.quick else 'full'} run in {seconds:.0f} s; JSON in {args.out}")
    core.write_json(rows, args.quick, seconds, args.out, mode="smoke" if args.smoke else None)
    db.close()
    shutil.rmtree(workdir, ignore_errors=True)
    failed = [r.name for r in rows if r.failed]
    if failed:
        print(f"{len(failed)} figure(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
