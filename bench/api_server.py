"""The process `bench.api` measures: the Digit Lab API (as the server mounts it) and, beside it, a bare
FastAPI endpoint that decodes the same way and calls the same model's `predict_proba` once per request
(no role, quota, storage or audit): the floor. `python -m bench.api_server PORT`."""
from __future__ import annotations

import sys

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount

from api import server_routes
from ml.inputs.images import load_image
from ml.prediction.predictor import resolve_model, ten_probabilities
from ml.recognition.conventions import ImageConvention
from ml.recognition.preprocess import preprocess

bare = FastAPI()
_model = None


def _classify(data: bytes) -> dict:
    global _model
    _model = _model or resolve_model(None)
    vector = preprocess(load_image(data), ImageConvention.from_dict(_model.convention))
    proba = ten_probabilities(_model.estimator, vector.reshape(1, -1))[0]
    return {"digit": int(np.argmax(proba)), "confidence": float(proba.max())}


@bare.post("/predict")
async def bare_predict(request: Request) -> dict:
    return await run_in_threadpool(_classify, await request.body())


app = Starlette(routes=[*server_routes(), Mount("/bare", app=bare)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
