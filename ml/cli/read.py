"""`python -m ml read FILES...`: one CSV row per image, `file,number,confidence,doubtful,alternatives`."""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from ml.cli.files import expand
from ml.errors import DigitLabError
from ml.reports.exports import safe_text


def cmd_read(args: argparse.Namespace) -> int:
    """Each reading is printed once stored; a file that cannot be read gets its sentence on stderr."""
    from ml.ops.bootstrap import prepare
    from ml.reading.service import read
    prepare(reveal=False)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["file", "number", "confidence", "doubtful", "alternatives"])
    failures = 0
    for name, data, error in (item for file in args.files for item in expand(Path(file))):
        if data is not None:
            try:
                stored = read(data, username=args.user, source="cli", model_id=args.model, length=args.length,
                              filename=name)
            except DigitLabError as exc:
                error = str(exc)
            else:
                r = stored.reading
                out.writerow([safe_text(name), r.text, f"{r.confidence:.4f}", int(r.doubtful),
                              ";".join(text for text, _ in r.alternatives)])
                continue
        failures += 1
        print(f"{name}: {error}", file=sys.stderr)
    sys.stdout.flush()
    return 1 if failures else 0


def add_command(sub) -> None:
    read = sub.add_parser("read", help="read whole numbers: print file,number,confidence,doubtful,alternatives "
                                       "for images (zip members too)")
    read.add_argument("files", nargs="+", metavar="FILE")
    read.add_argument("--length", type=int, default=None, help="the number of digits, when it is known")
    read.add_argument("--model", type=int, default=None, help="model id (default: the active model)")
    read.add_argument("--user", default="system", help="an active user whose role may predict (default: the "
                                                       "system actor, i.e. whoever holds the database file)")
    read.set_defaults(func=cmd_read)
