"""Batch prediction: the batch job, its typed request, its items, uploads and worker-side preparation."""
