"""Run each corpus case in its own forked child and report its outcome and peak memory as JSON.

    python tests/corpus/probe.py CORPUS_DIR          (DIGITLAB_DATA_DIR should be CORPUS_DIR)

A child runs the reader a user's input would reach (image: decode then preprocess, the float
work included; zip: the CLI's archive reader, then each member decoded; spec: the dataset loader)
and sends back what happened. The parent reads the child's peak resident memory from the kernel
(`os.wait4`'s ru_maxrss), so a case that balloons shows even if it then fails. Anything that is not
one of our errors is reported with its traceback: that is a bug.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import build  # noqa: E402

from ml.cli.files import expand  # noqa: E402
from ml.datasets.sources import load_spec  # noqa: E402
from ml.errors import BlankImageError, DigitLabError  # noqa: E402
from ml.inputs.images import load_image  # noqa: E402
from ml.recognition.conventions import DIGITS_8X8  # noqa: E402
from ml.recognition.preprocess import preprocess  # noqa: E402


def _image(data: bytes) -> list[str]:
    try:
        preprocess(load_image(data), DIGITS_8X8)
    except BlankImageError as exc:  # read fine, holds no digit: not a failure of the reader
        return [f"blank: {exc}"]
    return []


def run(case, folder: Path) -> dict:
    """What one case does: {"errors": [sentences], "read": n items read}; our errors are sentences."""
    errors: list[str] = []
    read = 0
    try:
        if case.reader == "image":
            errors += [e for e in _image((folder / case.target).read_bytes()) if not e.startswith("blank")]
            read = 1
        elif case.reader == "zip":
            for name, data, reason in expand(folder / case.target):
                if data is None:
                    errors.append(reason)
                    continue
                try:
                    _image(data)
                    read += 1
                except DigitLabError as exc:
                    errors.append(f"{name}: {exc}")
        elif case.reader == "spec":
            dataset = load_spec(case.target)
            read = len(dataset.y)
        elif case.reader == "six_at_once":
            data = (folder / case.target).read_bytes()
            with ThreadPoolExecutor(6) as pool:
                list(pool.map(_image, [data] * 6))
            read = 6
    except DigitLabError as exc:
        errors.append(str(exc))
    return {"errors": errors, "read": read}


def main(folder: Path) -> list[dict]:
    from make_corpus import Case
    cases = build(folder) + [Case("six_16bit_at_once", "six_at_once", "sixteen_bit_4999.png", "ok", True)]
    results = []
    for case in [Case("baseline", "none", "", "ok")] + cases:
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            try:
                outcome = run(case, folder) if case.reader != "none" else {"errors": [], "read": 0}
            except BaseException:  # noqa: BLE001 - reported to the parent as a bug
                outcome = {"errors": [], "read": 0, "bug": traceback.format_exc()}
            with os.fdopen(writer, "w") as pipe:
                json.dump(outcome, pipe)
            os._exit(0)
        os.close(writer)
        with os.fdopen(reader) as pipe:
            text = pipe.read()
        _, status, usage = os.wait4(pid, 0)
        outcome = json.loads(text) if text else {"errors": [], "read": 0, "bug": f"child died (status {status})"}
        results.append({"name": case.name, "reader": case.reader, "expect": case.expect, "big": case.big,
                        "peak_mb": round(usage.ru_maxrss / 1024, 1), **outcome})
    return results


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
