"""Fictional but well-formed identifiers for the demo (valid check digits, invented numbers)."""

from __future__ import annotations

import random


def luhn_complete(digits: str) -> str:
    """Append the digit that makes `digits` pass the Luhn check."""
    for last in "0123456789":
        candidate = digits + last
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char)
            if index % 2 == 1:
                value *= 2
                if value > 9:
                    value -= 9
            total += value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def fictional_siret(rng: random.Random) -> str:
    # Invented numbers with valid check digits; the demo organisations are fictional.
    siren = luhn_complete("99" + "".join(rng.choice("0123456789") for _ in range(6)))
    return luhn_complete(siren + "0001")


def fictional_rna(rng: random.Random, departement: str) -> str:
    return (
        "W"
        + departement[:2].replace("A", "0").replace("B", "0")
        + "".join(rng.choice("0123456789") for _ in range(7))
    )
