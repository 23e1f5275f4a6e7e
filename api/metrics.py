"""Prometheus metrics, served at `/metrics` in the text format.

Request counts and latencies are counted by this process as it answers (per route template and
status, so an id in a path does not make a new series). Predictions, refusals, queue depths and the
active model are read from the store at each scrape, so they count the dashboard's and the CLI's work
too and survive a restart.
"""
from __future__ import annotations

import logging

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from data import registry as model_registry
from data.queries import metrics as store_metrics

log = logging.getLogger(__name__)

disable_created_metrics()  # the *_created series double the scrape and no dashboard reads them
REGISTRY = CollectorRegistry()
REQUESTS = Counter("digitlab_http_requests", "API requests answered, by route, method and status.",
                   ["route", "method", "status"], registry=REGISTRY)
LATENCY = Histogram("digitlab_http_request_duration_seconds", "Time to answer an API request, by route and status.",
                    ["route", "method", "status"], registry=REGISTRY,
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class StoreCollector:
    """Totals read from the store at each scrape."""

    def collect(self):
        predictions = CounterMetricFamily("digitlab_predictions", "Predictions stored, by source and whether the "
                                          "model was not sure.", labels=["source", "not_sure"])
        refusals = CounterMetricFamily("digitlab_quota_refusals", "Requests refused by a limit: the daily quota "
                                       "(day), the per-minute rate limit (minute) or the job limit (jobs).",
                                       labels=["limit"])
        queued = GaugeMetricFamily("digitlab_jobs_queued", "Jobs waiting, by lane.", labels=["lane"])
        running = GaugeMetricFamily("digitlab_jobs_running", "Jobs running, by lane.", labels=["lane"])
        active = GaugeMetricFamily("digitlab_active_model_id", "The id of the model that answers predictions "
                                   "(0: none yet).")
        try:
            for source, not_sure, n in store_metrics.predictions():
                predictions.add_metric([source, "true" if not_sure else "false"], n)
            refused = store_metrics.refusals()
            for limit in ("day", "minute", "jobs"):
                refusals.add_metric([limit], refused.get(limit, 0))
            for lane, (q, r) in sorted(store_metrics.queues().items()):
                queued.add_metric([lane or "train"], q)
                running.add_metric([lane or "train"], r)
            active.add_metric([], model_registry.active_id() or 0)
        except Exception:  # noqa: BLE001 - a scrape must answer with the request metrics even if the store fails
            log.exception("reading the store for /metrics failed")
            return
        yield from (predictions, refusals, queued, running, active)


REGISTRY.register(StoreCollector())


def observe(route: str, method: str, status: int, seconds: float) -> None:
    labels = (route, method, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
