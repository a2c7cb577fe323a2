"""What later stages add to « Mon compte » (the API's tokens): each provider renders its own
section for the person, or returns "" when it has nothing to show them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from pepiniere.lib.extension import ExtensionPoint

account_sections: ExtensionPoint[Callable[[HttpRequest], str]] = ExtensionPoint("account sections")
