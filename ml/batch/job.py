"""The batch job: many images (and zips of images) predicted with one model version, resumable.
In number mode each image is read as a whole number instead (`ml.batch.numbers`), through the same
items, progress, cancel, resume and quota.

Runs in the job runner's "batch" lane (the page only reads the job row, so a page change or a
refresh loses nothing) and the same code runs inline for `python -m ml batch`. Items are handled a
chunk at a time: decoded and prepared (in worker processes for big batches, see PARALLEL_FROM),
classified with one predict_proba call, and stored with one append of prediction rows plus one of
batch items, in one transaction. So a kill loses at most the chunk in flight, and a resumed run
skips exactly the items already stored: no image is predicted twice.
"""
from __future__ import annotations

import itertools
import logging
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path

from data import audit, batches, predictions, registry
from ml import config
from ml.batch import items as batch_items
from ml.batch import numbers, uploads
from ml.batch.items import Item
from ml.batch.prepare import Outcome, prepare_chunk, start_decoder, warm_up
from ml.batch.request import BatchRequest
from ml.errors import RequestError
from ml.governance import batch_limits
from ml.prediction.predictor import Predictor, Prepared
from ml.recognition.conventions import ImageConvention
from ml.runtime import threads
from ml.runtime.process_context import CleanSpawnContext

log = logging.getLogger(__name__)

# Items per predict_proba call and per append: half the commits, audit rows and progress writes of 250,
# for a little more memory at the peak.
CHUNK = 500
PARALLEL_FROM = 1_000   # from this many images on, decoding runs in a worker process (worth its start-up)
# Processes decoding beside the main process, which classifies and stores meanwhile: on 2 cores one
# decoder balances the two halves of the work (about equal per image) and keeps memory to one extra
# process; 0 decodes inline. DIGITLAB_BATCH_WORKERS overrides it on a bigger machine.
WORKERS = max(0, int(config.get(config.BATCH_WORKERS, "").strip() or (1 if (os.cpu_count() or 1) > 1 else 0)))
WORST = 5
AHEAD, AHEAD_BYTES = 4, 32 * 2**20  # chunks, and bytes of uploads, handed to the decoders ahead of the store
CHUNK_BYTES = 16 * 2**20  # uploaded bytes per chunk: 500 members of 1 MiB would be 500 MB held, and pickled again
EARLY = 6  # chunks decoded while the model loads, held until it has (their model inputs, a few MB each)
LOAD_POLL = 0.02  # s: how often a wait for the decoder looks whether the model has loaded meanwhile


def _refuse_early(username: str, n_images: int) -> None:
    """A batch whose images still to predict cannot fit in today's quota is refused whole (QuotaError,
    audited, saying when it resets) before anything is decoded. Nothing is counted here: each chunk's
    stored predictions are charged with their rows (`_store`), so a refused member, a failed model or
    an item stored by an earlier run of a resumed batch costs nothing."""
    from ml.governance import quotas
    quotas.check(username, n_images, "batch")


def batch_job(request: BatchRequest, ctx) -> dict:
    """The job handler (ml.jobs.kinds). The upload folder is removed when the job ends (finished,
    failed or cancelled); a process that dies leaves it for the resume."""
    batch_id = request.batch_id or ctx.job_id
    uploads.sweep(batches.live_folders())
    try:
        result = _run(request, ctx, batch_id)
    except Exception:  # JobCancelled included: the job ended
        uploads.remove(request.folder)
        raise
    uploads.remove(request.folder)
    audit.record(request.requested_by, "batch", "ok" if not result["errors"] else "error",
                 f"batch {batch_id}: {result['predicted']:,} predicted, {result['errors']:,} errors",
                 target=f"job:{batch_id}")
    return result


def _run(request: BatchRequest, ctx, batch_id: int) -> dict:
    limits = batch_limits.current()
    folder = uploads.folder_path(request.folder)
    done = batches.done_items(batch_id)
    total = batch_items.count(folder, request.files, limits)
    if total > limits.images:  # each zip is held to it as it is read; the batch as a whole here, before any work
        raise RequestError(f"This batch holds {total:,} images; at most {limits.images:,} are allowed per batch "
                           "(Settings: images per batch). Split it into smaller batches.")
    parallel = total - len(done) >= PARALLEL_FROM and WORKERS > 0 and not request.numbers
    # a number costs one prediction per digit: at least its expected length, else at least one
    _refuse_early(request.requested_by, (total - len(done)) * (request.length or 1))
    model_id = request.model_id if request.model_id is not None else registry.active_id()
    if request.numbers:
        return _run_numbers(request, ctx, batch_id, folder, limits, done, total, model_id)
    record = registry.get(model_id) if model_id is not None else None
    with _decoders(parallel) as pool, ThreadPoolExecutor(1, thread_name_prefix="batch-model") as loader, \
            threads.one_blas_thread() if parallel else nullcontext():
        # The model loads while the decoders already work through the first chunks: its
        # registry record names its input convention (the loaded model reads the same record).
        loading = loader.submit(Predictor, request.requested_by, source="batch", model_id=model_id, chunk=CHUNK)
        conv = ImageConvention.from_dict(record.convention) if record is not None else loading.result().convention
        stream = batch_items.items(folder, request.files, limits, labelled=request.labelled, skip=done)
        outcomes = _outcomes(stream, conv, limits, pool, loading.done)
        early = _while_loading(outcomes, loading)
        predictor = loading.result()
        count = len(done)
        ctx.progress("predicting", count / max(total, 1), _line(count, total), done=count, total=total)
        for n, (chunk, found) in enumerate(itertools.chain(early, outcomes)):
            _store(predictor, batch_id, chunk, found, request=n == 0)
            count += len(chunk)
            total = max(total, count)
            ctx.progress("predicting", count / total, _line(count, total), done=count, total=total)
            ctx.check_cancelled()
    return report(batch_id, request.labelled)


def _run_numbers(request: BatchRequest, ctx, batch_id: int, folder: Path, limits, done: set[int], total: int,
                 model_id: int | None) -> dict:
    """Number mode (ml.batch.numbers): each image read as a whole number, a chunk per transaction."""
    predictor = Predictor(request.requested_by, source="batch", model_id=model_id, chunk=CHUNK)
    count = len(done)
    ctx.progress("reading", count / max(total, 1), _line(count, total), done=count, total=total)
    stream = batch_items.items(folder, request.files, limits, skip=done)
    for n, chunk in enumerate(numbers.chunks(stream)):
        numbers.store_chunk(predictor, batch_id, chunk, limits=limits, length=request.length, labels=request.labels,
                            from_names=request.labelled, request=n == 0)
        count += len(chunk)
        total = max(total, count)
        ctx.progress("reading", count / total, _line(count, total), done=count, total=total)
        ctx.check_cancelled()
    return numbers.report(batch_id)


def _while_loading(outcomes: Iterator, loading: Future) -> list:
    """The chunks decoded while the model loads, at most EARLY of them: both processes keep working
    (waiting for the model instead left the decoder idle once it was AHEAD chunks ahead)."""
    early = []
    while len(early) < EARLY and (not loading.done() or not early):
        found = next(outcomes, None)
        if found is None:
            break
        early.append(found)
    return early


@contextmanager
def _decoders(parallel: bool) -> Iterator[ProcessPoolExecutor | None]:
    """The decoder processes of a big batch, already starting up when this returns (None: decode inline)."""
    if not parallel:
        yield None
        return
    context = CleanSpawnContext()  # never fork the server, never re-run the app script in a child
    with ProcessPoolExecutor(WORKERS, mp_context=context, initializer=start_decoder,
                             initargs=(os.getpid(),)) as pool:
        for _ in range(WORKERS):
            pool.submit(warm_up)
        yield pool


def _line(count: int, total: int) -> str:
    return f"{count:,} of {total:,} images"


def _chunks(stream: Iterator[Item]) -> Iterator[list[Item]]:
    """Chunks of at most CHUNK items and CHUNK_BYTES of uploaded bytes (one item may be alone over
    it): memory follows the bytes in flight, whatever the archive's members weigh."""
    chunk, size = [], 0
    for item in stream:
        weight = len(item.data) if item.data is not None else 0
        if chunk and (len(chunk) >= CHUNK or size + weight > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += weight
    if chunk:
        yield chunk


def _outcomes(stream: Iterator[Item], conv: ImageConvention, limits, pool: ProcessPoolExecutor | None,
              may_decode_here: Callable[[], bool] = lambda: True
              ) -> Iterator[tuple[list[Item], list[Outcome | None]]]:
    """Each chunk with one outcome per item (None for an item refused before decoding).

    With decoders, up to AHEAD chunks (and AHEAD_BYTES of uploads) are in flight: enough to keep them
    busy while the model loads, bounded whatever the images weigh. Whenever the oldest is not decoded
    yet and `may_decode_here()`, this process decodes the next chunk itself instead of waiting (once
    all are handed out, one taken back from the decoders' queue), so neither side idles while the other
    has work, whatever the machine and the images. (Not while the model loads: that is Python imports
    in a thread of this process, which decoding here would slow.)
    Chunks can therefore come out of order; each item keeps its index, which is what the results and a
    resume go by."""
    chunks = _chunks(stream)
    if pool is None:
        for chunk in chunks:
            yield chunk, _decode_here(chunk, conv, limits)
        return
    pending: deque[tuple[list[Item], Future, int]] = deque()
    exhausted = False

    def hand_out() -> None:
        nonlocal exhausted
        while not exhausted and (len(pending) < AHEAD and sum(p[2] for p in pending) < AHEAD_BYTES
                                 or not pending):
            chunk = next(chunks, None)
            if chunk is None:
                exhausted = True
                return
            payloads = _payloads(chunk)
            pending.append((chunk, pool.submit(prepare_chunk, payloads, conv.to_dict(), limits.pixels,
                                               limits.image_bytes), sum(map(len, payloads))))

    while True:
        hand_out()
        if not pending:
            return
        if not pending[0][1].done():
            if not may_decode_here():
                # the model is loading: wait for the decoder's chunk, or for the model, whichever is first
                # (waiting on the chunk alone left this process idle from the model's load until the
                # decoder's first chunk)
                futures.wait([pending[0][1]], timeout=LOAD_POLL)
                continue
            chunk = next(chunks, None) if not exhausted else None
            exhausted = exhausted or chunk is None
            if chunk is None:  # all handed out: take back the newest chunk the decoders have not started
                chunk = _take_back(pending)
            if chunk is not None:
                yield chunk, _decode_here(chunk, conv, limits)
                continue
        chunk, future, _ = pending.popleft()
        yield chunk, _merge(chunk, future.result())


def _take_back(pending: deque) -> list[Item] | None:
    """The newest chunk handed out that no decoder has started (its future cancelled), else None.
    At the end of a batch the decoders held up to AHEAD chunks while this process, with nothing left
    to decode, waited for them one by one, one core idle."""
    for entry in reversed(pending):
        if entry[1].cancel():
            pending.remove(entry)
            return entry[0]
    return None


def _decode_here(chunk: list[Item], conv: ImageConvention, limits) -> list[Outcome | None]:
    return _merge(chunk, prepare_chunk(_payloads(chunk), conv, limits.pixels, limits.image_bytes))


def _payloads(chunk: list[Item]) -> list[bytes]:
    return [item.data for item in chunk if item.data is not None and item.problem is None]


def _merge(chunk: list[Item], outcomes: list[Outcome]) -> list[Outcome | None]:
    found = iter(outcomes)
    merged = [next(found) if item.data is not None and item.problem is None else None for item in chunk]
    chunk[:] = [replace(item, data=None) for item in chunk]  # decoded: the uploaded bytes are not held further
    return merged


def _store(predictor: Predictor, batch_id: int, chunk: list[Item], outcomes: list[Outcome | None], *,
           request: bool = False) -> None:
    """Classify the usable items of a chunk and store predictions and items in one transaction, which
    also charges the predictions (only they) to the owner's quota; the batch's first chunk counts as
    its one request of the minute."""
    from ml.governance import quotas
    usable = [(item, o) for item, o in zip(chunk, outcomes) if o is not None and o[0] is not None]
    results = predictor.classify([Prepared(o[0], o[1], item.name, o[2]) for item, o in usable])
    rows = [replace(predictor.row(r), job_id=batch_id) for r in results]
    with quotas.charged(predictor.username, len(rows), "batch", request=request):
        ids = dict(zip((item.index for item, _ in usable), predictions.append(rows)))
        records = []
        for item, outcome in zip(chunk, outcomes):
            pid = ids.get(item.index)
            problem, reason = (item.problem, item.reason) if outcome is None else (outcome[3], outcome[4])
            if pid is None and problem is None:
                problem, reason = "unreadable", "no data"
            records.append((item.index, item.name, item.label, pid, problem, reason))
        batches.add_items(batch_id, records)
    predictor.audit_stored(list(ids.values()))  # after the commit: an audit row is never rolled back


def report(batch_id: int, labelled: bool) -> dict:
    """Counts of the whole batch (every run of it) and, when labelled, accuracy, confusion matrix and
    the worst confusions, all aggregated in SQL."""
    counts = batches.summary(batch_id)
    result: dict = {"batch_id": batch_id, **counts}
    errors = counts["errors"]
    message = (f"Completed with {errors:,} error{'s' * (errors != 1)}" if errors else "Completed") + \
        f": {counts['predicted']:,} of {counts['items']:,} images predicted"
    if labelled:
        matrix = [[0] * 10 for _ in range(10)]
        for truth, digit, n in batches.confusion(batch_id):
            matrix[truth][digit] = n
        scored = sum(map(sum, matrix))
        correct = sum(matrix[d][d] for d in range(10))
        off = sorted(((matrix[t][p], t, p) for t in range(10) for p in range(10) if t != p and matrix[t][p]),
                     reverse=True)
        result.update(labelled=scored, accuracy=correct / scored if scored else None, confusion=matrix,
                      worst=[{"true": t, "predicted": p, "count": n} for n, t, p in off[:WORST]])
        if scored:
            message += f"; accuracy {correct / scored:.1%} on {scored:,} labelled images"
        else:
            message += "; no image was labelled (folders 0-9 or names ending _<digit>)"
    result["message"] = message + "."
    return result


def run_cli(paths: list[Path], *, user: str, labelled: bool = False, model_id: int | None = None,
            numbers: bool = False, length: int | None = None, labels: dict[str, str] | None = None):
    """`python -m ml batch`: the files into the upload area, then the same job, inline."""
    from ml.jobs import engine as jobs
    token, files = uploads.copy_in(paths, batch_limits.current())
    try:
        return jobs.run_inline(BatchRequest(user, token, files, labelled, model_id, numbers=numbers, length=length,
                                            labels=labels or {}))
    finally:
        uploads.remove(token)  # refused at submit, or ended: the copies go either way
