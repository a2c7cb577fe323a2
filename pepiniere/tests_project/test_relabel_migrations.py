"""``RelabelField`` (pepiniere/lib/migrations.py): a migration that changes only what people read
leaves the database alone and re-renders nothing; any other change is Django's ``AlterField``."""

from __future__ import annotations

from django.db import connection, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ModelState, ProjectState

from pepiniere.lib.migrations import RelabelField, labels_only


def test_only_labels_help_texts_and_choices_count_as_labels():
    base = models.CharField(max_length=20, verbose_name="nom")
    assert labels_only(base, models.CharField(max_length=20, verbose_name="raison sociale"))
    assert labels_only(base, models.CharField(max_length=20, help_text="tel qu'au Kbis"))
    assert labels_only(base, models.CharField(max_length=20, choices=[("a", "A")]))
    assert not labels_only(base, models.CharField(max_length=30, verbose_name="nom"))
    assert not labels_only(base, models.CharField(max_length=20, null=True))
    assert not labels_only(base, models.CharField(max_length=20, default="x"))
    assert not labels_only(base, models.CharField(max_length=20, db_column="nom"))
    assert not labels_only(base, models.TextField(verbose_name="nom"))


def _state(field: models.Field) -> ProjectState:
    state = ProjectState()
    state.add_model(
        ModelState(
            "relabel", "Thing", [("id", models.AutoField(primary_key=True)), ("name", field)]
        )
    )
    return state


class _Editor:
    """What the operation asks of the schema editor, recorded instead of run."""

    connection = connection

    def __init__(self) -> None:
        self.altered: list[tuple[str, str]] = []

    def alter_field(self, model: type[models.Model], old: models.Field, new: models.Field) -> None:
        self.altered.append((old.deconstruct()[1], f"{old.max_length}→{new.max_length}"))


def _altered(operation: RelabelField, before: ProjectState) -> list[tuple[str, str]]:
    after = before.clone()
    operation.state_forwards("relabel", after)
    editor = _Editor()
    operation.database_forwards("relabel", editor, before, after)  # type: ignore[arg-type]
    assert after.models["relabel", "thing"].fields["name"] is operation.field
    assert after.apps.get_model("relabel", "Thing")._meta.get_field("name").max_length == (
        operation.field.max_length
    )
    return editor.altered


def test_a_new_label_writes_the_state_and_leaves_the_table_alone():
    before = _state(models.CharField(max_length=20))
    assert before.apps.get_model("relabel", "Thing")  # rendered, as during migrate
    label = RelabelField("thing", "name", models.CharField(max_length=20, verbose_name="nom"))
    assert _altered(label, before) == []


def test_a_new_length_alters_the_column_like_alter_field():
    before = _state(models.CharField(max_length=20))
    assert before.apps.get_model("relabel", "Thing")
    longer = RelabelField("thing", "name", models.CharField(max_length=80, verbose_name="nom"))
    assert _altered(longer, before) == [("django.db.models.CharField", "20→80")]


def test_the_migrations_end_in_the_models_labels():
    """The state the migrations build (RelabelField included) carries the labels the models say:
    `makemigrations --check` relies on it."""
    from pepiniere.reviews.models import Assignment

    state = MigrationLoader(None, ignore_no_migrations=True).project_state()
    field = state.models["reviews", "assignment"].fields["reviewer"]
    assert str(field.verbose_name) == "expert·e"
    assert field.verbose_name == Assignment._meta.get_field("reviewer").verbose_name
