"""Batch throughput and memory: a zip of generated 28x28 PNGs (10,000 in a full run, 200 in --smoke).

Floor: the bare loop in this process, decode + canonical form + predict (one predict_proba per chunk),
no storage, no jobs. Job: `python -m ml batch ZIP` in a child process, timed by its own job row
(started to finished: items counted, decoded, predicted, stored, the upload removed), its peak memory
sampled over the whole process tree (the CLI and its decode workers). Peak memory by archive: the
kernel's high-water marks of the CLI and its decoders (tests/corpus/batch_peak.py) on the normal zip
beside the hostile corpus's bombs spread thin (members of 1 MiB, and just under the ratio threshold).
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from bench import figures  # noqa: F401 - registered first, so the batch figures come after the others
from bench.core import Context, Measured, figure
from data import db
from data import jobs as job_rows


def _make_zip(ctx: Context) -> tuple[str, int]:
    if "batch_zip" in ctx.shared:
        return ctx.shared["batch_zip"]
    from ml.datasets.generated.synthetic import pen_digit
    n = int(ctx.size(10_000, 2_000, 200))
    path = ctx.workdir / "batch28.zip"
    rng = np.random.default_rng(11)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i in range(n):
            digit = int(rng.integers(0, 10))
            image = Image.fromarray(255 - pen_digit(digit, size=84, width=6, rng=rng)[..., 0]).resize((28, 28))
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            archive.writestr(f"{digit}/img{i:05d}.png", buffer.getvalue())
    ctx.shared["batch_zip"] = (str(path), n)
    return str(path), n


def _floor(path: str) -> float:
    """Images per second of the bare loop with the active model."""
    from data import registry
    from ml.batch.job import CHUNK
    from ml.inputs.images import load_image
    from ml.models import artifacts
    from ml.prediction.predictor import ten_probabilities
    from ml.recognition.conventions import ImageConvention
    from ml.recognition.preprocess import preprocess
    model = artifacts.load(registry.active_id())
    conv = ImageConvention.from_dict(model.convention)
    started = time.perf_counter()
    count, vectors = 0, []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            vectors.append(preprocess(load_image(archive.read(info)), conv))
            if len(vectors) == CHUNK:
                ten_probabilities(model.estimator, np.vstack(vectors))
                count, vectors = count + len(vectors), []
    if vectors:
        ten_probabilities(model.estimator, np.vstack(vectors))
        count += len(vectors)
    return count / (time.perf_counter() - started)


def _job(path: str) -> tuple[float, float, dict]:
    """(images/s by the job row, peak MB of the process tree, the job's result)."""
    import psutil
    db.close()  # one process holds the store: the CLI child opens it
    proc = subprocess.Popen([sys.executable, "-m", "ml", "batch", path, "--labelled", "--user", "system"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    watch, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [watch, *watch.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode not in (0, 1):
        raise AssertionError(err.decode()[-800:])
    result = json.loads(out.decode().strip().splitlines()[-1])
    record = job_rows.get(int(result["job"]))
    seconds = (record.finished_at - record.started_at).total_seconds()
    return result["predicted"] / seconds, peak / 2**20, result


@figure("batch job: images/s end to end (floor: bare decode + canonical form + predict loop)", unit="images/s",
        target=1000.0, higher_is_better=True, group="server")
def batch_throughput(ctx: Context) -> Measured:
    path, n = _make_zip(ctx)
    floors, rates, peaks = [], [], []
    for _ in range(ctx.repeats(1, 1)):
        floors.append(_floor(path))
        rate, peak, result = _job(path)
        rates.append(rate)
        peaks.append(peak)
    ctx.shared["batch_peak"] = peaks
    return Measured(rates, floor=floors, note=f"{n:,} PNGs of 28x28 in one zip, labelled (accuracy "
                                              f"{result.get('accuracy') or 0:.1%}); target also ≥ 60% of the floor")


@figure("batch job: peak memory of the process tree", unit="MB", target=600.0, group="server")
def batch_peak_memory(ctx: Context) -> Measured:
    if "batch_peak" not in ctx.shared:
        batch_throughput(ctx)
    return Measured(ctx.shared["batch_peak"], note="the CLI process and its decode workers, sampled every 50 ms")


_ROOT = Path(__file__).resolve().parent.parent


def _high_water(path: str) -> float:
    """Peak MB of `ml batch PATH` (the CLI's own high-water mark plus its decoders')."""
    db.close()  # one process holds the store: the CLI child opens it
    done = subprocess.run([sys.executable, str(_ROOT / "tests" / "corpus" / "batch_peak.py"), path],
                          capture_output=True, text=True, env=os.environ.copy(), cwd=_ROOT)
    if not done.stdout.strip():
        raise AssertionError(done.stderr[-800:])
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_mb"])


@figure("batch job: peak memory by archive, normal and hostile (CLI + decoders, kernel high-water marks)",
        unit="MB", target=600.0, group="server")
def batch_peak_by_archive(ctx: Context) -> dict[str, Measured]:
    from tests.corpus.make_corpus import SPREAD_BOMBS, spread_bomb
    path, n = _make_zip(ctx)
    found = {f"batch peak, normal: {n:,} PNGs of 28x28":
             Measured([_high_water(path)], note=f"{Path(path).stat().st_size:,} bytes")}
    for name, (members, size) in SPREAD_BOMBS.items():
        bomb = ctx.workdir / name
        spread_bomb(bomb, members, size)
        found[f"batch peak, hostile: {members:,} members of {size:,} zero bytes"] = Measured(
            [_high_water(str(bomb))], note=f"{name}, {bomb.stat().st_size:,} bytes")
    return found
