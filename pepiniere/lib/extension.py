"""Extension points: how an earlier stage of the lifecycle lets a later one add to its answers.

The lifecycle order is the import order (a later stage reads an earlier one, never the reverse),
so when an earlier stage needs something only a later stage knows (an expert of reviews/ may read
the application they evaluate; grants/ knows who was aided before), the earlier stage declares an
ExtensionPoint and the later stage registers its provider in its AppConfig.ready(). Checked by
pepiniere/tests_project/test_import_order.py."""

from __future__ import annotations

from collections.abc import Iterator


class ExtensionPoint[Provider]:
    """A named, ordered set of providers (plain functions) registered by later stages."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._providers: list[Provider] = []

    def register(self, provider: Provider) -> Provider:
        """Add a provider once (ready() may run twice in tests); usable as a decorator."""
        if provider not in self._providers:
            self._providers.append(provider)
        return provider

    def __iter__(self) -> Iterator[Provider]:
        return iter(tuple(self._providers))

    def __repr__(self) -> str:
        return f"<ExtensionPoint {self.name}: {len(self._providers)} provider(s)>"
