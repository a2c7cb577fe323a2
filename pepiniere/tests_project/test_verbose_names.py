"""Every model and field of the project names itself in French (issue 9: the admin is half English).

Django derives a missing verbose name from the class or attribute name (« criterion score »,
« created at », « bids »): English on a French page. So every model of the project sets
verbose_name and verbose_name_plural in its Meta, and every field of its own (relations
included, not the ones Django adds) passes a verbose_name."""

from __future__ import annotations

from django.apps import apps


def _project_models() -> list:
    return [m for m in apps.get_models() if m.__module__.startswith("pepiniere.")]


def test_every_project_model_sets_its_french_names():
    missing = [
        f"{model._meta.label}.Meta.{option}"
        for model in _project_models()
        for option in ("verbose_name", "verbose_name_plural")
        if option not in model._meta.original_attrs
    ]
    assert not missing, "\n".join(missing)


def test_every_field_of_a_project_model_has_an_explicit_verbose_name():
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in _project_models()
        for field in model._meta.get_fields()
        if not field.auto_created
        and (getattr(field, "concrete", False) or field.many_to_many)
        and "verbose_name" not in field.deconstruct()[3]
    ]
    assert not missing, "\n".join(missing)
