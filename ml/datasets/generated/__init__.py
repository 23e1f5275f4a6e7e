"""Generated data for development and tests: synthetic inputs, development sets, upload styles."""
