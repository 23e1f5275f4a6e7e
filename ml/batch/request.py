"""The typed request of a batch job: which uploaded files, labelled or not, which model version, digits or
whole numbers (with the expected length and the labels CSV's labels).

Validated when it is queued (ml.jobs.engine): the files must be in the upload area, the model is pinned
to the version active at that moment (activating another one mid-batch changes nothing), and a
resume names an interrupted batch job whose files are still there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from data import jobs as job_rows
from data import registry
from ml.batch import uploads
from ml.errors import NoActiveModelError, RequestError
from ml.governance import policy
from ml.jobs.requests import JobRequest
from ml.reading.errors import MAX_DIGITS


@dataclass(frozen=True)
class BatchRequest(JobRequest):
    """The Batch page and `python -m ml batch` both submit this."""
    requested_by: str
    folder: str = ""                                            # upload-area token (ml.batch.uploads)
    files: list[dict[str, str]] = field(default_factory=list)   # {"name", "path", "error"} per file
    labelled: bool = False
    model_id: int | None = None                                 # pinned when validated
    resume_of: int = 0                                          # the batch (first job id) to finish
    numbers: bool = False                                       # each image a whole number (ml.batch.numbers)
    length: int | None = None                                   # number mode: the digits each number has, if known
    labels: dict[str, str] = field(default_factory=dict)        # number mode: file -> number, from a labels CSV

    kind: ClassVar[str] = "batch"

    @property
    def user(self) -> str:
        return self.requested_by

    @property
    def batch_id(self) -> int:
        """0 until it runs for a new batch (the job id becomes the batch id)."""
        return int(self.resume_of)

    @property
    def title(self) -> str:
        if self.resume_of:
            return f"Resume batch #{self.resume_of}"
        count = len(self.files)
        notes = [word for word, on in (("numbers", self.numbers), ("labelled", self.labelled or bool(self.labels)))
                if on]
        return f"Batch of {count} file{'s' * (count != 1)}" + (f" ({', '.join(notes)})" if notes else "")

    def validated(self) -> BatchRequest:
        if self.resume_of:
            return self._resumed()
        if not self.files:
            raise RequestError("Add at least one image or zip file.")
        folder = uploads.folder_path(self.folder)
        if not folder.is_dir():
            raise RequestError("The uploaded files are gone (the batch ended or the server was cleaned); "
                               "upload them again.")
        for entry in self.files:
            if entry.get("path") and not uploads.stored_file(self.folder, entry["path"]).is_file():
                raise RequestError(f"{entry.get('name')} is missing from the upload area; upload it again.")
        chosen = self.model_id if self.model_id is not None else registry.active_id()
        if chosen is None:
            raise NoActiveModelError("No model is active yet: train one or run `make run` to create the default.")
        if registry.get(int(chosen)) is None:
            raise RequestError(f"Model {chosen} does not exist.")
        if self.length is not None and not (self.numbers and 1 <= int(self.length) <= MAX_DIGITS):
            raise RequestError(f"The expected length must be 1 to {MAX_DIGITS} digits, in number mode.")
        if self.labels and not self.numbers:
            raise RequestError("A labels file is for a batch of numbers; a batch of digits takes its labels from "
                               "folders 0-9 or names ending _<digit>.")
        return BatchRequest(self.requested_by, self.folder, [dict(e) for e in self.files], bool(self.labelled),
                            int(chosen), 0, bool(self.numbers), None if self.length is None else int(self.length),
                            {str(k): str(v) for k, v in self.labels.items()})

    def _resumed(self) -> BatchRequest:
        """The interrupted job's own request, under its batch id (a resume of a resume finishes the same batch)."""
        record = job_rows.get(int(self.resume_of))
        if record is None or record.kind != "batch":
            raise RequestError(f"There is no batch job #{self.resume_of} to resume.")
        if record.created_by != self.requested_by:
            policy.require(self.requested_by, "batch_all", action="job_batch")
        if record.status != "interrupted":
            raise RequestError(f"Batch job #{record.id} is {record.status}; only an interrupted batch can be resumed.")
        params = dict(record.params)
        if not uploads.folder_path(params.get("folder", "")).is_dir():
            raise RequestError(f"The files of batch job #{record.id} are gone, so it cannot be resumed; "
                               "upload them again as a new batch.")
        batch = int(params.get("resume_of") or record.id)
        return BatchRequest(self.requested_by, params["folder"], params["files"], bool(params.get("labelled")),
                            params.get("model_id"), batch, bool(params.get("numbers")), params.get("length"),
                            dict(params.get("labels") or {}))

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> BatchRequest:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in params.items() if k in known})
