"""Command line: `python -m ml init | predict | train | tune | evaluate | report | serve | users | audit |
backup | restore`.

Output for humans and scripts goes to stdout (CSV), reasons to stderr; this is the one
module allowed to print.
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from pathlib import Path

from data.db import StoreError
from ml import composition
from ml.cli import admin as cli_admin
from ml.cli import read as cli_read
from ml.cli.files import expand
from ml.errors import DigitLabError
from ml.ops.bootstrap import prepare
from ml.prediction.predict import predict_many
from ml.reports.exports import safe_text

log = logging.getLogger(__name__)


def cmd_predict(args: argparse.Namespace) -> int:
    """Rows are printed only once stored (predict_many stores each chunk before yielding it): if
    the store fails mid-way, what was printed is exactly what was saved, and the sentence says so."""
    prepare(reveal=False)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["file", "digit", "confidence", "not_sure", "runner_up"])
    failures = stored = 0
    items = (item for file in args.files for item in expand(Path(file)))
    try:
        for name, result, error in predict_many(items, username=args.user, source="cli", model_id=args.model):
            if result is not None:
                stored += 1
                out.writerow([safe_text(name), result.digit, f"{result.confidence:.4f}", int(result.not_sure),
                              result.runner_up])
            else:
                failures += 1
                print(f"{name}: {error}", file=sys.stderr)
    except StoreError as exc:
        sys.stdout.flush()
        print(f"{exc} The {stored:,} rows printed above were stored; the rest were not.", file=sys.stderr)
        return 2
    sys.stdout.flush()
    return 1 if failures else 0


def cmd_init(args: argparse.Namespace) -> int:
    model_id = prepare()
    print(f"Database ready; active model {model_id}.", file=sys.stderr)
    return 0


def _param_value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def cmd_train(args: argparse.Namespace) -> int:
    from ml.jobs import engine as jobs
    from ml.lab.requests import TrainRequest
    prepare(reveal=False)
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"--param takes key=value, not {item!r}", file=sys.stderr)
            return 2
        params[key] = _param_value(value)
    request = TrainRequest(family=args.family, dataset=args.dataset, trained_by=args.user, params=params,
                           seed=args.seed, test_size=args.test_size, val_size=args.val_size, activate=args.activate,
                           augment=args.augment, deskew=args.deskew)
    # Checked as the Train page's submit is: the user's `train` capability, then the request; a refusal is a
    # DigitLabError whose sentence main() prints.
    record = jobs.run_inline(request)
    if record.status != "succeeded":
        print(f"Training failed: {record.message}", file=sys.stderr)
        return 1
    print(json.dumps(record.result))
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from ml.jobs import engine as jobs
    from ml.tuning.requests import TuneRequest
    prepare(reveal=False)
    request = TuneRequest(family=args.family, dataset=args.dataset, requested_by=args.user, n_trials=args.trials,
                          timeout_s=args.timeout, workers=args.workers, study=args.study or "",
                          objective=args.objective, sampler=args.sampler, pruner=args.pruner,
                          cv_folds=args.cv_folds, seed=args.seed)
    record = jobs.run_inline(request)  # a refusal is a DigitLabError: main prints its sentence
    if record.status != "succeeded":
        print(f"Tuning {record.status}: {record.message}", file=sys.stderr)
        return 1
    print(json.dumps(record.result))
    return 0


def cmd_tune_import(args: argparse.Namespace) -> int:
    from ml.tuning.importer import import_studies
    prepare(reveal=False)
    for result in import_studies(args.storage, study=args.study or None, by=args.user):
        print(json.dumps(result))
    return 0


def cmd_tune_worker(args: argparse.Namespace) -> int:
    from ml.tuning.worker import run_worker  # never opens the app's database: the storage holds the study
    result = run_worker(args.storage, args.study, n_trials=args.trials, timeout_s=args.timeout, family=args.family,
                        dataset=args.dataset, objective=args.objective, seed=args.seed, grace_s=args.grace)
    print(json.dumps(result))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ml.lab import scoring
    prepare(reveal=False)
    metrics = scoring.evaluate(args.model, args.dataset, whole=args.all)  # a refusal: main prints its sentence
    print(f"Scored on {metrics['scored']}.", file=sys.stderr)  # stdout stays one JSON document
    print(json.dumps(metrics))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import date

    from ml.reports import document as reports
    prepare(reveal=False)
    if args.what == "model":
        data = reports.model_card(args.model, args.user)
    else:
        data = reports.period_report(date.fromisoformat(args.since), date.fromisoformat(args.until), args.user)
    Path(args.out).write_bytes(data)
    print(f"Wrote {args.out} ({len(data):,} bytes).", file=sys.stderr)
    return 0
def cmd_batch(args: argparse.Namespace) -> int:
    from ml.batch.job import run_cli
    prepare(reveal=False)
    labels = {}
    if args.labels:
        from ml.batch.numbers import parse_labels
        from ml.errors import RequestError
        try:
            data = Path(args.labels).read_bytes()
        except OSError as exc:
            raise RequestError(f"Cannot read the labels file {args.labels}: {exc.strerror or exc}.") from None
        labels = parse_labels(data)
    record = run_cli([Path(f) for f in args.files], user=args.user, labelled=args.labelled, model_id=args.model,
                     numbers=args.numbers or bool(labels) or args.length is not None, length=args.length,
                     labels=labels)
    print(json.dumps({"job": record.id, "status": record.status, **(record.result or {"message": record.message})}))
    return 0 if record.status == "succeeded" and not (record.result or {}).get("errors") else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from ml.ops.serving import serve
    return serve(args.port, args.address)


def cmd_backup(args: argparse.Namespace) -> int:
    from data import store
    from data.db import StoreLockedError, db_path
    from ml.ops import backup
    try:
        store.init_db()
    except StoreLockedError:  # one process per file: the app's own connection must write the backup
        print(f"The database file {db_path()} is held by another Digit Lab process (the app), so this command "
              "cannot read it: use \"Back up now\" on the Health page, or stop the app and run this again.",
              file=sys.stderr)
        return 2
    result = backup.backup(backup.operator(), to=args.to, check_role=False)
    print(f"Backed up {result.tables} tables ({result.rows:,} rows, {result.bytes:,} bytes) to {result.path} "
          f"in {result.seconds:.1f} s; SHA-256 of its manifest {result.sha256}.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ml.ops import backup
    result = backup.restore(args.path, into=args.into)  # never opens the live database
    print(f"Restored {result.tables} tables ({result.rows:,} rows) into {result.path}; every table and sequence "
          "matches the backup.")
    print(f"To use it, stop the app and start it on that file: DIGITLAB_DB={result.path} python -m ml serve "
          "(the model files stay in DIGITLAB_MODELS).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml", description="Digit Lab command line")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create/migrate the database, the first admin and the default model")
    init.set_defaults(func=cmd_init)
    serve = sub.add_parser("serve", help="serve the app (after `init`); prints the address and a first-start password last")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument("--address", default="127.0.0.1",
                       help="the interface to listen on (default 127.0.0.1: this computer only; 0.0.0.0: every "
                            "interface, for a TLS proxy or other computers)")
    serve.set_defaults(func=cmd_serve)
    predict = sub.add_parser("predict", help="print file,digit,confidence,not_sure,runner_up for images "
                                              "(zip members too, read safely)")
    predict.add_argument("files", nargs="+", metavar="FILE")
    predict.add_argument("--model", type=int, default=None, help="model id (default: the active model)")
    predict.add_argument("--user", default="system",
                         help="an active user whose role may predict; the predictions are recorded for them "
                              "(default: the system actor, i.e. whoever holds the database file)")
    predict.set_defaults(func=cmd_predict)
    cli_read.add_command(sub)
    batch = sub.add_parser("batch", help="run a batch job on images and zips (same job as the Batch page); prints "
                                         "its result as JSON, each refused item is listed on the Batch page")
    batch.add_argument("files", nargs="+", metavar="FILE_OR_ZIP")
    batch.add_argument("--labelled", action="store_true", help="labels from folders 0-9 or names ending _<digit>: "
                                                              "report accuracy and the confusion matrix")
    batch.add_argument("--numbers", action="store_true", help="read each image as a whole number; with --labelled "
                                                              "the label is the file name (1450.png, meter_1450.png)")
    batch.add_argument("--length", type=int, default=None, help="number mode: the digits each number has, if known")
    batch.add_argument("--labels", default=None, metavar="CSV", help="number mode: file,label lines giving each "
                                                                     "image's number, for accuracy")
    batch.add_argument("--model", type=int, default=None, help="model id (default: the active model)")
    batch.add_argument("--user", default="admin", help="an active user whose role may run batches")
    batch.set_defaults(func=cmd_batch)
    train = sub.add_parser("train", help="train a model family on a dataset (same code path as the Train page)")
    train.add_argument("--family", required=True, help="svc, logreg, knn, random_forest, hist_gb, xgboost, mlp")
    train.add_argument("--dataset", default="digits", metavar="SPEC",
                       help="digits | feedback | idx:IMAGES,LABELS | folder:PATH | zip:PATH | openml:mnist_784")
    train.add_argument("--param", action="append", default=[], metavar="K=V", help="a family parameter (repeatable)")
    train.add_argument("--seed", type=int, default=0, help="split and model seed")
    train.add_argument("--test-size", type=float, default=0.2, help="share held out for the test metrics")
    train.add_argument("--val-size", type=float, default=0.0,
                       help="share also held out of training and scored apart, to compare parameter choices by")
    train.add_argument("--activate", action="store_true", help="make the new model the active one")
    train.add_argument("--augment", type=int, default=0, metavar="N",
                       help="add N distorted copies of every training image (rotation, shift, scale, shear, thickness)")
    train.add_argument("--deskew", action=argparse.BooleanOptionalAction, default=None,
                       help="straighten slanted digits inside the model (default: on for 28x28 MNIST-format data)")
    train.add_argument("--user", default="admin",
                       help="who trains: an active user whose role may train (default: the first admin)")
    train.set_defaults(func=cmd_train)
    tune = sub.add_parser("tune", help="run (or resume) an Optuna study; prints the best trial as JSON "
                                       "(same code path as the Tuning page)")
    tune.add_argument("--family", required=True, help="svc, logreg, knn, random_forest, hist_gb, xgboost, mlp")
    tune.add_argument("--dataset", default="digits", metavar="SPEC", help="as for train")
    tune.add_argument("--trials", type=int, default=20, help="how many trials to add")
    tune.add_argument("--timeout", type=float, default=0.0, metavar="S", help="time budget in seconds (0: none)")
    tune.add_argument("--workers", type=int, default=1, metavar="K", help="trials run at once (threads)")
    tune.add_argument("--study", default="", metavar="NAME", help="a new name, or an existing study to resume")
    tune.add_argument("--objective", default="accuracy", choices=("accuracy", "macro_f1", "log_loss"),
                      help="scored on the validation share (or CV folds), never the test split")
    tune.add_argument("--sampler", default="tpe", choices=("tpe", "random", "cmaes", "grid"))
    tune.add_argument("--pruner", default="median", choices=("median", "hyperband", "successive_halving", "none"))
    tune.add_argument("--cv-folds", type=int, default=0, help="k-fold CV instead of the validation share (0: off)")
    tune.add_argument("--seed", type=int, default=0, help="split, model and sampler seed (not searched)")
    tune.add_argument("--user", default="admin", help="who tunes: an active user whose role may tune")
    tune.set_defaults(func=cmd_tune)
    tune_import = sub.add_parser("tune-import", help="copy (or refresh) studies from an Optuna storage into the "
                                                     "database; prints one JSON line per study")
    tune_import.add_argument("--storage", required=True, metavar="URL",
                             help="sqlite:///PATH, postgresql://USER:PASSWORD@HOST/DB, or a journal file path")
    tune_import.add_argument("--study", default="", metavar="NAME", help="only this study (default: all)")
    tune_import.add_argument("--user", default="admin", help="who imports: an active user whose role may tune")
    tune_import.set_defaults(func=cmd_tune_import)
    worker = sub.add_parser("tune-worker", help="add trials to a study on an external Optuna storage (PostgreSQL); "
                                                 "run it on any number of machines, then tune-import the study")
    worker.add_argument("--storage", required=True, metavar="URL", help="postgresql+psycopg://USER:PASSWORD@HOST/DB")
    worker.add_argument("--study", required=True, metavar="NAME")
    worker.add_argument("--trials", type=int, default=10, help="trials this worker adds")
    worker.add_argument("--timeout", type=float, default=0.0, metavar="S", help="time budget in seconds (0: none)")
    worker.add_argument("--family", default=None, help="to create the study when it does not exist yet")
    worker.add_argument("--dataset", default="digits", metavar="SPEC", help="to create the study (a file SPEC)")
    worker.add_argument("--objective", default="accuracy", choices=("accuracy", "macro_f1", "log_loss"))
    worker.add_argument("--seed", type=int, default=0, help="split and model seed of a new study")
    worker.add_argument("--grace", type=int, default=30, metavar="S",
                        help="a trial whose worker was silent this long (killed) is marked failed by the next worker")
    worker.set_defaults(func=cmd_tune_worker)
    evaluate = sub.add_parser("evaluate", help="print JSON metrics of a model on a dataset; its `scored` field "
                                               "(also on stderr) says which images")
    evaluate.add_argument("--model", type=int, required=True)
    evaluate.add_argument("--dataset", default=None, metavar="SPEC",
                          help="default: the model's own dataset, scored on its test split only")
    evaluate.add_argument("--all", action="store_true",
                          help="score every image of the dataset, even those the model trained on")
    evaluate.set_defaults(func=cmd_evaluate)
    cli_admin.add_parsers(sub)  # users ..., audit verify
    report = sub.add_parser("report", help="write a PDF: a model card or a period report (audited)")
    kinds = report.add_subparsers(dest="what", required=True)
    card = kinds.add_parser("model", help="the model card of one model version")
    card.add_argument("model", type=int, metavar="ID")
    period = kinds.add_parser("period", help="predictions and accuracy from feedback between two days (both included)")
    period.add_argument("--since", required=True, metavar="YYYY-MM-DD")
    period.add_argument("--until", required=True, metavar="YYYY-MM-DD")
    for kind in (card, period):
        kind.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")
        kind.add_argument("--user", default="admin", help="who asks: an active user whose role may see the report")
        kind.set_defaults(func=cmd_report)
    back = sub.add_parser("backup", help="write a consistent backup of the database (a folder of Parquet files and "
                                         "a manifest); refuses while the app holds the database")
    back.add_argument("--to", default=None, metavar="DIR", help="where the backup folder goes "
                                                                "(default: backups/ beside the database)")
    back.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="build a NEW database file from a backup folder and check every table")
    restore.add_argument("path", metavar="PATH", help="a backup folder (backups/digitlab-...)")
    restore.add_argument("--into", default=None, metavar="NEW.duckdb",
                         help="the new file (must not exist; default: PATH-restored.duckdb beside the folder)")
    restore.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    composition.wire()  # the job engine's table of kinds, before any command runs a job
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except StoreError as exc:  # the database file is busy, full or read-only: which file, and what to do
        print(str(exc), file=sys.stderr)
        return 2
    except DigitLabError as exc:  # a refusal or a failure the person can fix: its sentence, no traceback
        print(str(exc), file=sys.stderr)
        return 1
