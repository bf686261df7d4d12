"""The test database: the therapy catalogue loaded once per database, and what keeps it there.

Every test used to load the catalogue itself (about 0.1 s each, a thousand times). Now
`django_db_setup` loads it once, committed, so each test's transaction starts with it. A
transactional test (live_server, `transaction=True`) ends with a flush that empties every table:
the catalogue is loaded again right after it (tests/conftest.py's `pytest_runtest_teardown`),
unless the next test is transactional too, in which case its `catalogue` fixture loads it.
"""

from __future__ import annotations

import pytest
from pytest_django.plugin import blocking_manager_key

from therapies.loading import load_catalogue


def load() -> None:
    load_catalogue()


def ensure() -> None:
    from therapies.models import Drug

    if not Drug.objects.exists():
        load_catalogue()


def restore(config: pytest.Config) -> None:
    """After a flush: the catalogue again (the database access pytest-django allows)."""
    with config.stash[blocking_manager_key].unblock():
        ensure()


def empty() -> None:
    """The catalogue's tables emptied, inside the test's transaction (rolled back after it)."""
    from therapies.models import ChecklistTemplate, Drug

    ChecklistTemplate.objects.all().delete()
    Drug.objects.all().delete()


def is_transactional(item: pytest.Item) -> bool:
    """As pytest-django decides it: a flush rather than a rollback after the test."""
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transaction = marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
        if transaction or marker.kwargs.get("reset_sequences"):
            return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


def check_no_later_test_makes(request: pytest.FixtureRequest, fixture: str, people) -> None:
    """A module-scoped `fixture` that keeps its people in the database until the module ends:
    no test of the module that runs after the first one using it may make the same people
    again through the function-scoped fixtures `people` (same e-mail addresses)."""
    module = getattr(request.node, "obj", None)
    items = [item for item in request.session.items if getattr(item, "module", None) is module]
    uses = [fixture in getattr(item, "fixturenames", ()) for item in items]
    if True in uses:
        later = items[uses.index(True) :]
        late = [item.nodeid for item in later if set(people) & set(item.fixturenames)]
        assert not late, f"these tests run while `{fixture}` is in the database: {late}"
