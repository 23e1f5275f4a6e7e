"""The model lab: fitting with progress, training jobs, scoring, a model version's lifecycle, the default model."""
