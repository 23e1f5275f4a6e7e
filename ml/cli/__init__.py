"""The command line: `python -m ml ...` (commands) and its admin sub-commands."""
