"""The suite's own settings: what keeps a test from failing because the machine is slow."""
from hypothesis import settings


def test_hypothesis_examples_have_no_deadline():
    # A busy machine makes one example slower than hypothesis' default 200 ms; that is not a failure.
    assert settings().deadline is None
