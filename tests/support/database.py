"""The test database: the therapy catalogue loaded once per database, and what keeps it there.

Every test used to load the catalogue itself (about 0.1 s each, a thousand times). Now
`django_db_setup` loads it once, committed, so each test's transaction starts with it. A
transactional test (live_server, `transaction=True`) ends with a flush that empties every table:
the catalogue is put back right after it (tests/conftest.py's `pytest_runtest_teardown`),
unless the next test is transactional too, in which case its `catalogue` fixture puts it back:
the rows the loader first wrote, inserted again as they were.
"""

from __future__ import annotations

import pytest
from pytest_django.plugin import blocking_manager_key

from therapies.loading import load_catalogue

# The catalogue's rows as the loader wrote them, table by table in the order of their foreign
# keys: after a flush they are inserted again as they were (same ids), a few INSERTs instead of
# parsing the TOML files and syncing each drug again.
_rows: list[tuple[type, list[dict]]] | None = None


def _catalogue_models() -> list[type]:
    from therapies.models import (
        Caution,
        ChecklistTemplate,
        ChecklistTemplateItem,
        Drug,
        Regimen,
        StorageRule,
    )

    return [Drug, Regimen, StorageRule, Caution, ChecklistTemplate, ChecklistTemplateItem]


def load() -> None:
    """The catalogue through its loader (as `make run` does), and its rows kept for `ensure`."""
    global _rows
    load_catalogue()
    _rows = [
        (
            model,
            list(
                model.objects.order_by("pk").values(
                    *(f.attname for f in model._meta.concrete_fields)
                )
            ),
        )
        for model in _catalogue_models()
    ]


def ensure() -> None:
    """The catalogue again if a flush emptied it: the rows `load` kept, else the loader."""
    from therapies.models import Drug

    if Drug.objects.exists():
        return
    if _rows is None:
        load()
        return
    for model, rows in _rows:
        model.objects.bulk_create(model(**row) for row in rows)


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


# The articles and glossary of content/ as the loader first wrote them (without the search
# vectors, which PostgreSQL computes again from the text, as the loader has it do).
_content_rows: list[tuple[type, list[dict]]] | None = None


def content() -> None:
    """The articles and glossary of content/, as `make run` loads them: through the loader the
    first time (or when some are there already), then, in a database without them, the rows
    it wrote inserted again as they were, their search vectors computed and the cached pages'
    generation renewed as the loader does."""
    global _content_rows
    from django.db import connection

    from content import caching, search
    from content.loading import load_content
    from content.models import Article, GlossaryTerm

    models = [GlossaryTerm, Article]
    if _content_rows is None or any(model.objects.exists() for model in models):
        load_content()
        _content_rows = [
            (
                model,
                list(
                    model.objects.order_by("pk").values(
                        *(
                            f.attname
                            for f in model._meta.concrete_fields
                            if f.attname != "search_vector"
                        )
                    )
                ),
            )
            for model in models
        ]
        return
    for model, rows in _content_rows:
        model.objects.bulk_create(model(**row) for row in rows)
    if connection.vendor == "postgresql":
        search.update_search_vectors(Article.objects.all())
    caching.renew_generation()
