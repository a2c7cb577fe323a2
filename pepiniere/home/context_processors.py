"""The site menu for base.html, computed lazily: a page that does not render the header (a PDF,
an htmx fragment) pays nothing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from pepiniere.home.menu import menu_items


def menu(request: HttpRequest) -> dict[str, Any]:
    return {"menu_items": SimpleLazyObject(lambda: menu_items(request))}
