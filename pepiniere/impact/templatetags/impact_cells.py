"""One figure of the impact pages (tables.Shown): « secret statistique » when masked, « sans
objet » when the indicator does not apply, else the figure in French. A filter rather than an
included template: a breakdown has hundreds of cells (an include each cost a third of the page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from pepiniere.portfolio.figures import display

register = template.Library()


@register.filter
def cell(shown: Any) -> SafeString | str:
    """``{{ shown|cell }}``."""
    if shown.secret:
        return format_html('<span class="secret-cell">{}</span>', _("secret statistique"))
    if shown.not_applicable:
        return _("sans objet")
    return shown.text or display(shown.value, shown.kind)
