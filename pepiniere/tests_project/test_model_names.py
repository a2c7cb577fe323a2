"""Model names as the admin and the history pages print them: French, and a plural that is
French too (Django's default adds an « s » to the whole phrase: « demande de complémentss »)."""

from django.apps import apps
from django.utils import translation


def test_every_model_has_a_french_singular_and_plural():
    wrong = []
    with translation.override("fr"):
        for model in apps.get_models():
            if not model.__module__.startswith("pepiniere."):
                continue
            options = model._meta
            singular, plural = str(options.verbose_name), str(options.verbose_name_plural)
            naive = " " in singular and plural == singular + "s"
            english = any(word in singular.split() for word in ("bid", "score", "run", "decision"))
            if naive or english or "verbose_name" not in options.original_attrs:
                wrong.append(f"{model.__name__}: {singular!r} / {plural!r}")
    assert not wrong, wrong
