"""Errors raised by the expert-review services, and the permission guard that raises them."""

from __future__ import annotations

from typing import Any


class ReviewError(Exception):
    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def require(verdict: Any) -> None:
    if not verdict:
        raise ReviewError(verdict.reason)
