"""Permission checks are plain functions returning a Verdict: allowed or not, and why."""

from __future__ import annotations

from typing import NamedTuple

from django.core.exceptions import PermissionDenied


class Verdict(NamedTuple):
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def enforce(self) -> None:
        """In a view: refuse with 403 and the reason when not allowed."""
        if not self.allowed:
            raise PermissionDenied(self.reason)


def allow(reason: str = "") -> Verdict:
    return Verdict(True, reason)


def deny(reason: str) -> Verdict:
    return Verdict(False, reason)
