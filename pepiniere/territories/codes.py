"""INSEE code helpers shared by organisations and calls (no database access)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

COMMUNE_CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def departement_of_commune(code: str) -> str:
    """The département code a commune's INSEE code belongs to (971xx → 971, 2A004 → 2A)."""
    code = code.strip().upper()
    if not COMMUNE_CODE_RE.match(code):
        raise ValidationError(
            _(
                "Le code commune INSEE « %(code)s » doit comporter 5 caractères (ex. 33063 pour Bordeaux)."
            ),
            params={"code": code},
        )
    return code[:3] if code.startswith("97") else code[:2]
