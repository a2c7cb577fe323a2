"""Migration operations of our own.

``RelabelField`` is Django's ``AlterField`` for a change that only people read: a field's label,
its help text, its choices' labels. Django's ``AlterField`` re-renders the model and, for a
relation, every model related to it, on every operation, even when the database does not change:
a migration of 57 such labels (``reviews.0004_verbose_names``) took 9 to 18 s of state rendering on
every fresh database, for every test worker. ``RelabelField`` writes the new field into the project
state and leaves the rendered models as they are (nothing a migration does reads a label); the
next real change re-renders them from that state. When anything else differs (a type, a length,
a default, a column, a related name), it is exactly ``AlterField``."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState
from django.db.models import Field

# What only people read: never a column, a constraint or an accessor.
LABEL_ATTRIBUTES = frozenset(
    {
        "verbose_name",
        "help_text",
        "choices",
        "blank",
        "editable",
        "error_messages",
        "validators",
        "limit_choices_to",
    }
)


def labels_only(old: Field[Any, Any], new: Field[Any, Any]) -> bool:
    """Whether ``new`` differs from ``old`` in LABEL_ATTRIBUTES at most."""
    _old_name, old_path, old_args, old_kwargs = old.deconstruct()
    _new_name, new_path, new_args, new_kwargs = new.deconstruct()
    if old_path != new_path or list(old_args) != list(new_args):
        return False
    keys = (set(old_kwargs) | set(new_kwargs)) - LABEL_ATTRIBUTES
    return all(old_kwargs.get(key) == new_kwargs.get(key) for key in keys)


class RelabelField(migrations.AlterField):
    def _labels_only(self, app_label: str, before: ProjectState, after: ProjectState) -> bool:
        key = (app_label, self.model_name_lower)
        return labels_only(
            before.models[key].fields[self.name], after.models[key].fields[self.name]
        )

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        key = (app_label, self.model_name_lower)
        old = state.models[key].fields[self.name]
        if not labels_only(old, self.field):
            super().state_forwards(app_label, state)
            return
        state.models[key].fields[self.name] = self.field
        # Django's index of relations, when built, keeps the new field object too.
        if getattr(state, "_relations", None) is not None:
            state.resolve_model_field_relations(key, self.name, old)
            state.resolve_model_field_relations(key, self.name, self.field)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not self._labels_only(app_label, from_state, to_state):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not self._labels_only(app_label, to_state, from_state):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
