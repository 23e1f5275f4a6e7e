"""Train this: a study's trial becomes a model version trained on the full training data, scored on
the test split and linked to its study and trial (table `study_models`)."""
from __future__ import annotations

from typing import Any

from data import audit, registry, studies
from ml.models.families import FAMILIES
from ml.tuning.requests import PromoteRequest


def promote(request: PromoteRequest, *, progress=None) -> dict[str, Any]:
    """Train a trial's parameters on the full training data (no validation share held out), score on the
    test split, register the version and link it to the study and trial."""
    from ml.datasets.sources import load_spec
    from ml.lab.fitting import quiet
    from ml.lab.training import train_and_register
    record = studies.get(request.study_id)
    trial = next(t for t in studies.trials(record.id) if t.number == request.trial)
    params = dict(trial.params)
    if "seed" in FAMILIES[record.family].defaults:
        params["seed"] = record.settings["seed"]
    model_id = train_and_register(load_spec(record.dataset), record.family, params, trained_by=request.user,
                                  seed=record.settings["seed"], test_size=record.settings["test_size"],
                                  activate=request.activate, progress=progress or quiet)
    studies.link_model(model_id, record.id, trial.number, request.user)
    audit.record(request.user, "promote_trial", "ok", f"study {record.name} trial {trial.number} -> model {model_id}",
                 target=f"model:{model_id}", details={"study": record.name, "trial": trial.number, "model": model_id})
    accuracy = registry.get(model_id).metrics["accuracy"]
    return {"model_id": model_id, "study_id": record.id, "trial": trial.number, "accuracy": accuracy,
            "message": f"Model {model_id} trained from trial {trial.number} of {record.name}: "
                       f"{accuracy:.2%} accuracy on the test split."}


def promote_job(request: PromoteRequest, ctx) -> dict:
    def report(stage: str, fraction: float, detail: str = "", *, done=None, total=None) -> None:
        ctx.progress(stage, fraction, f"{stage}{': ' + detail if detail else ''}", done=done, total=total)
    return promote(request, progress=report)
