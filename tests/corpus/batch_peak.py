"""Run `python -m ml batch FILES` in this process and report its peak memory as JSON (last line).

    python tests/corpus/batch_peak.py FILE...      (DIGITLAB_DB names a store with an active model)

The peaks are the kernel's high-water marks of resident memory (VmHWM in /proc/PID/status, which
starts afresh at exec, unlike ru_maxrss): this process's own, read when the batch has ended, and each
decoder process's, read just before the batch stops its decoders. Their sum bounds the peak of the
whole tree from above, whatever the timing. Used by tests/test_corpus.py and `make bench`. Linux only.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psutil  # noqa: E402

from ml.batch import job as batch  # noqa: E402
from ml.cli.commands import main  # noqa: E402

_decoder_mb: list[float] = []


def high_water_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


_real_decoders = batch._decoders


@contextmanager
def _measured_decoders(parallel: bool) -> Iterator:
    with _real_decoders(parallel) as pool:
        try:
            yield pool
        finally:
            for child in psutil.Process().children():
                if "spawn_main" in " ".join(child.cmdline()):
                    _decoder_mb.append(high_water_mb(child.pid))


def run(files: list[str]) -> dict:
    batch._decoders = _measured_decoders
    code = main(["batch", *files, "--user", "system"])
    own = high_water_mb()
    return {"code": code, "own_mb": round(own, 1), "decoder_mb": round(sum(_decoder_mb), 1),
            "peak_mb": round(own + sum(_decoder_mb), 1)}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1:])), flush=True)
