import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """Each test starts with no request counted (SQLite reuses the ids of rolled-back rows, so a
    token of one test could otherwise inherit another's count)."""
    cache.clear()
    yield
    cache.clear()
