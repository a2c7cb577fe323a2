"""Every URL pattern of the project, from the resolver (names with their namespaces)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def all_patterns() -> Iterator[tuple[str, dict[str, str], Any]]:
    """(namespaced name, {argument: converter name}, view callback) for every named pattern."""

    def walk(
        patterns: list[Any], namespace: str, converters: dict[str, str]
    ) -> Iterator[tuple[str, dict[str, str], Any]]:
        for pattern in patterns:
            found = {
                k: type(v).__name__ for k, v in getattr(pattern.pattern, "converters", {}).items()
            }
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner, {**converters, **found})
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}", {**converters, **found}, pattern.callback

    seen = set()
    for name, converters, callback in walk(get_resolver().url_patterns, "", {}):
        if name not in seen:  # the first pattern of a name is the one reverse() uses
            seen.add(name)
            yield name, converters, callback
