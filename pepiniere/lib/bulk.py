"""Inserting thousands of rows at once, faster than `bulk_create`.

`QuerySet.bulk_create` builds a model instance per row and compiles every value of every row
into its SQL (about 100 µs a row for a ten-column table: 1 s for the 10 000 orders of a payment
run, and as much again for their audit rows). `insert_rows` streams the rows with COPY on
PostgreSQL and hands them to the driver's `executemany` elsewhere: each value still goes through its field's
`get_db_prep_save`, so it is stored as the ORM would store it (Decimals, aware datetimes,
booleans, foreign keys by id), and every database constraint still applies (an `IntegrityError`
as usual). What it does not do: return primary keys, send signals, run `pre_save` (it refuses
`auto_now` fields left out), call `save()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connections, models


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    same: Mapping[str, Any] | None = None,
    using: str = "default",
) -> int:
    """INSERT one row of `model` per item of `rows` (values in the order of `fields`, by field
    name: "run" or "run_id" for a foreign key, given by id), with the values of `same` on every
    row and the default of each field given in neither. Returns the number of rows."""
    connection = connections[using]
    same = dict(same or {})
    by_name = {}
    for field in model._meta.concrete_fields:
        by_name[field.name] = by_name[field.attname] = field
    given = [by_name[name] for name in fields]
    constants = {by_name[name]: value for name, value in same.items()}
    for field in model._meta.concrete_fields:
        if field.primary_key or field in given or field in constants:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise ValueError(f"{model.__name__}.{field.name} is set on save: give it")
        constants[field] = field.get_default()
    prepared = [_preparer(field, connection)(value) for field, value in constants.items()]
    columns = [*given, *constants]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(str(field.column)) for field in columns)
    preparers = [_preparer(field, connection) for field in given]
    values = (
        [*(prepare(value) for prepare, value in zip(preparers, row, strict=True)), *prepared]
        for row in rows
    )
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream, no statement to parse per row (15x faster than INSERT … VALUES
            # on PostgreSQL); constraints and indexes apply as to an INSERT.
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row_values in values:
                    copy.write_row(row_values)
                    count += 1
        else:
            # Names from the model, quoted by the backend; every value is a parameter.
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
            all_values = list(values)
            if all_values:
                cursor.executemany(sql, all_values)
            count = len(all_values)
    return count


# Exact types only: a subclass may convert on its way to the database (encryption, say).
_TEXT = {models.CharField, models.TextField, models.EmailField, models.SlugField}
_INTEGER = {
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.AutoField,
    models.BigAutoField,
}


def _preparer(field: Any, connection: Any) -> Any:
    """The function that turns a value into what the driver stores for this field: the value
    itself when it is already the stored type (a str for a text column, an int for an integer
    or a foreign key), else the field's own conversion."""
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if type(field) in _TEXT:
        plain: type = str
    elif type(field) in _INTEGER:
        plain = int
    else:
        return lambda value: field.get_db_prep_save(value, connection)

    def prepare(value: Any) -> Any:
        if type(value) is plain:
            return value
        return field.get_db_prep_save(getattr(value, "pk", value), connection)

    return prepare
