"""Batch prediction: the batch job, its typed request, its items, uploads, worker-side preparation, and
number mode (each image read as a whole number, `numbers`)."""
