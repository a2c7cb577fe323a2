"""On PostgreSQL, trigram indexes for the portfolio's search: a name word anywhere in the name
(`name__icontains`, which Django writes UPPER(name) LIKE UPPER('%word%')) and a SIREN or SIRET
typed in part (`__startswith`, LIKE 'digits%', which the B-tree index cannot serve under a
non-C collation). SQLite has no such index and needs none (its scan of the name index stops at
the end of the page). Out of the models' state: Django would write GIN on SQLite too."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "organisation_name_trgm": "UPPER(name) gin_trgm_ops",
    "organisation_siren_trgm": "siren gin_trgm_ops",
    "organisation_siret_trgm": "siret gin_trgm_ops",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("organisations", "Organisation")._meta.db_table)
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("organisations", "0007_name_index")]

    operations = [
        TrigramExtension(),  # does nothing outside PostgreSQL
        migrations.RunPython(create_indexes, drop_indexes),
    ]
