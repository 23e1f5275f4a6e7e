"""Hyperparameter tuning with Optuna: search spaces, objective, studies, imports, workers, promotion."""
