"""The background job engine: typed requests, the table of kinds, the runner and its lanes."""
