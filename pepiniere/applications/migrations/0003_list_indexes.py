# Indexes for the officers' list at scale (bench/officer_list.py: 100 000 applications).
#
# 1. application_list_idx (call, status, submitted_at) INCLUDE (organisation): the filtered list
#    (one call, one status, newest first) reads one page from the index instead of walking every
#    call's applications; the count is an index-only scan joined to the organisations (the
#    INCLUDE column is ignored on SQLite, which has no covering indexes).
# 2. application_search_trgm (PostgreSQL only): a pg_trgm GIN index on the accent-folded
#    search_text, for the substring search (`search_text LIKE '%word%'`) of the list.
#
# Both are created with SeparateDatabaseAndState / RunPython so that the model state (and
# Application.Meta.indexes, which this migration does not touch) stays as it is:
# `makemigrations --check` remains clean. Both are reversible.

from django.db import migrations, models


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS application_search_trgm "
        "ON applications_application USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The pg_trgm extension is left installed: other objects may use it.
    schema_editor.execute("DROP INDEX IF EXISTS application_search_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0002_backoffice"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddIndex(
                    model_name="application",
                    index=models.Index(
                        fields=["call", "status", "submitted_at"],
                        include=["organisation"],
                        name="application_list_idx",
                    ),
                ),
            ],
            state_operations=[],
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
