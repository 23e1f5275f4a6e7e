"""PDF reports (model card, period, usage) and exports of filtered tables."""
