"""Datasets: sources named by a SPEC, reproducible splits, handwriting, augmentation, provenance."""
