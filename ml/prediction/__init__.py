"""Prediction: one path for one image and for thousands (predictor), entry points, relabelling."""
