"""Threads one fit may use and worker processes that start clean."""
