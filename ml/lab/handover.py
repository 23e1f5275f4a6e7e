"""The interim -> default model hand-over: a fresh server answers at once with a quick model while
the default one trains in the background, then the default takes over.

`python -m ml init` (and every CLI command on a fresh database) trains the default to the end
instead: only a server serves an interim model. The hand-over never overrides a person's choice:
the default is activated only while the interim model is still the active one.

Imports of scikit-learn-heavy modules sit inside the functions that train: Home reads `state()`
on every run and must not pay for them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from data import jobs as job_rows
from data import registry, settings

log = logging.getLogger(__name__)

INTERIM_KEY = "interim_model_id"  # set while an interim model serves; cleared by the hand-over
SYSTEM = "system"


def train_interim() -> int:
    """Train and activate the quick interim model (about a second); remember that it is interim."""
    from ml.datasets.sources import load_spec
    from ml.lab import default_model, lifecycle, training  # scikit-learn: only when a model is trained
    spec, family, _ = default_model.INTERIM
    model_id = training.train_and_register(load_spec(spec), family, {}, trained_by=SYSTEM)
    lifecycle.set_notes(model_id, "Interim model: serves while the default model trains in the background.",
                        by=SYSTEM)
    lifecycle.activate(model_id, by=SYSTEM)
    settings.put(INTERIM_KEY, str(model_id))
    return model_id


def interim_id() -> int | None:
    value = settings.get(INTERIM_KEY)
    return int(value) if value else None


def ensure_serving(submit) -> int | None:
    """The active model id for a server, None while there is none yet; never waits for a training.
    With no model active, or the interim one, the default model is queued as a job (`submit(request) ->
    job id`) unless one is already queued or running: that job first trains the interim model when none
    serves, so a fresh server shows its sign-in form at once and only pages that need a model wait."""
    active = registry.active_id()
    waiting = active is None or (interim_id() is not None and interim_id() == active)
    if waiting and _pending_default_job() is None:
        from ml.lab.requests import DefaultModelRequest
        job_id = submit(DefaultModelRequest())
        log.info("default model queued as job %s (%s)", job_id,
                 "a quick interim model first" if active is None else f"interim model {active} serves meanwhile")
    return active


def _pending_default_job():
    frame = job_rows.page(kind="default_model", limit=5)
    waiting = frame[frame["status"].isin(["queued", "running"])] if not frame.empty else frame
    return None if waiting.empty else waiting.iloc[0]


def default_model_job(request, ctx) -> dict:  # noqa: ARG001 - the request has no options
    """Train the default model; hand over only if the interim model is still the active one."""
    from ml.datasets.sources import load_spec
    from ml.lab import default_model, lifecycle, training
    if registry.active_id() is None:  # a fresh store: a quick model answers first
        ctx.progress("first model", 0.0, "Training a quick first model, which answers while the default trains")
        train_interim()
        ctx.check_cancelled()
    ctx.progress("loading data", 0.02, "Building the handwriting training set")
    dataset = load_spec(default_model.spec())
    ctx.check_cancelled()

    def report(stage: str, fraction: float, detail: str = "", *, done=None, total=None) -> None:
        ctx.progress(stage, fraction, f"{stage}{': ' + detail if detail else ''} ({len(dataset.y):,} images)",
                     done=done, total=total, detail=detail)

    model_id = training.train_and_register(dataset, default_model.DEFAULT_FAMILY, {}, trained_by=SYSTEM,
                                           progress=report)
    interim = interim_id()
    if interim is not None and registry.active_id() == interim:
        lifecycle.activate(model_id, by=SYSTEM)
        settings.put(INTERIM_KEY, "")
        return {"model_id": model_id, "message": f"Default model {model_id} trained and activated "
                                                 f"(it replaced interim model {interim})."}
    settings.put(INTERIM_KEY, "")
    return {"model_id": model_id, "message": f"Default model {model_id} trained; not activated, because "
                                             "someone chose another active model meanwhile."}


@dataclass(frozen=True)
class HandoverState:
    """What Home shows while the first model is prepared (`interim_id` None) or an interim model serves."""
    interim_id: int | None
    job_status: str | None
    progress: float
    message: str

    @property
    def preparing(self) -> bool:
        """No model answers yet: the quick first one is training."""
        return self.interim_id is None


def state() -> HandoverState | None:
    """None once the default model serves (or was never needed)."""
    interim = interim_id()
    active = registry.active_id()
    if active is not None and (interim is None or active != interim):
        return None
    job = _pending_default_job()
    if job is None:
        return HandoverState(None if active is None else interim, None, 0.0,
                             "The default model is not training (it will start with the server).")
    return HandoverState(None if active is None else interim, str(job["status"]), float(job["progress"] or 0.0),
                         str(job["message"] or job["stage"] or ""))
