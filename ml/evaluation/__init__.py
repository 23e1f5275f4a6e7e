"""Held-out metrics and what a model's confidence means."""
