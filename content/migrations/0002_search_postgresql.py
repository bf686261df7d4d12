"""PostgreSQL only: accent-insensitive text search configurations and the GIN index of search.

`content_french` and `content_english` copy the built-in configurations and put `unaccent` in
front of the stemmer, so "interleukine", "Interleukines" and "INTERLEUKINES" meet, and so do
"reaction" and "réaction". On SQLite every operation here does nothing (content/search.py folds
accents in Python there).
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

CONFIGS = {"content_french": "french", "content_english": "english"}


def create_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, base in CONFIGS.items():
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
        schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {base})")
        schema_editor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name} "
            f"ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {base}_stem"
        )
    # content.search: `search_vector @@ query` over the articles of one language.
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS content_article_search_gin "
        "ON content_article USING gin (search_vector)"
    )


def drop_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS content_article_search_gin")
    for name in CONFIGS:
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("content", "0001_articles_glossary")]

    operations = [
        UnaccentExtension(),  # acts on PostgreSQL only
        migrations.RunPython(create_search, drop_search),
    ]
