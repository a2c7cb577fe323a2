"""The project's set-up: configuration from the environment, deploy checks, the console command."""

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from pepiniere.lib.env import env_bool, env_int
from pepiniere.lib.money import (
    AmountError,
    format_eur,
    format_eur_cents,
    from_cents,
    parse_amount,
    to_cents,
)


def _run(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pepiniere.manage", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_debug_off():
    result = _run(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-value-1234567890",
        ALLOWED_HOSTS="pepiniere.example.org",
        DATABASE_URL="sqlite:///:memory:",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_secret_key_fails_loudly():
    result = _run("check", DEBUG="0", DATABASE_URL="sqlite:///:memory:")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_env_helpers_refuse_bad_values(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "peut-être")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("SOME_FLAG", False)
    monkeypatch.setenv("SOME_NUMBER", "dix")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("SOME_NUMBER", 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("550 000", "550000"),
        ("550 000,50 €", "550000.50"),
        ("1200.50", "1200.50"),
        ("1 200,5", "1200.50"),
        ("12\u202f000", "12000"),
        ("12\xa0000 €", "12000"),
    ],
)
def test_amounts_typed_the_french_way(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["1.200,50", "1,200.50", "١٢٣", "0.001", "1_000", "1e3", "-5", "12 00", "Infinity", ""]
)
def test_amounts_a_french_user_would_not_type_are_refused_with_a_reason(text):
    with pytest.raises(AmountError) as refused:
        parse_amount(text)
    assert refused.value.message


def test_money_is_shown_in_french_format_and_converted_to_exact_cents():
    assert (
        format_eur(Decimal("550000")).replace("\u202f", " ").replace("\xa0", " ") == "550 000,00 €"
    )
    assert to_cents(Decimal("0.1") + Decimal("0.2")) == 30
    with pytest.raises(ValueError):
        parse_amount("NaN")


@pytest.mark.parametrize(
    "cents", [0, 1, 5, 99, 100, 99_999, 100_000, 123_456, 99_999_999, 100_000_000, -5, -123_456]
)
def test_the_fast_euro_formatter_writes_what_babel_writes(cents):
    assert format_eur_cents(cents) == format_eur(from_cents(cents))


@given(st.integers(min_value=-(10**14) + 1, max_value=10**14 - 1))
def test_the_fast_euro_formatter_writes_what_babel_writes_for_any_amount(cents):
    # Any MoneyField amount (14 digits, 2 decimals), negative ones too (recoveries).
    assert format_eur_cents(cents) == format_eur(from_cents(cents))
