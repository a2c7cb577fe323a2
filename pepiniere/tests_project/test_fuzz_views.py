"""Malformed input never makes a 500 (issue 10, medium 5): every view of the resolver, as the roles
that can reach it, gets query strings and form posts with random and malformed values (NaN,
Infinity, huge and negative integers, other digits than 0–9, empty, very long strings, several
values for one name, NUL characters, markup).

The parameter names come from two places: a grep of the code for what views read by hand
(``request.GET.get("…")``, ``"…" in request.POST``, ``getlist``) and the fields of the forms each page
really shows (every ``name="…"`` in its HTML, found in a first deterministic sweep). Objects are
real (lib/testing/world.py) so that views get past their 404s. Each request runs in a savepoint
that is rolled back, and the client's cookies are put back, so that a random logout or withdrawal
does not change what the next request sees.

Bounded for CI: one sweep over every view plus a fixed number of derandomised examples."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pepiniere.applications.staff_selectors import ListFilters
from pepiniere.lib.testing.world import World, build_world
from pepiniere.tests_project.urlmap import all_patterns

pytestmark = pytest.mark.django_db

PACKAGE = Path(__file__).resolve().parent.parent
READ_BY_HAND = [
    r"request\.(?:GET|POST)\.(?:get|getlist)\(\s*[\"']([\w-]+)[\"']",
    r"request\.(?:GET|POST)\[\s*[\"']([\w-]+)[\"']\s*\]",
    r"[\"']([\w-]+)[\"']\s+(?:not\s+)?in\s+request\.(?:GET|POST)",
]
NASTY = [
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "99999999999999999999999",
    "9223372036854775808",
    "-1",
    "0",
    "",
    "   ",
    "١٢٣",
    "²",
    "１２",
    "1_000",
    "0.001",
    "1.200,50",
    "2015-W22-5",
    "9999-12-31",
    "0000-00-00",
    "31/02/2015",
    "abc",
    "1-2",
    "a-b",
    "-",
    "[]",
    "{}",
    "null",
    "true",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "nul\x00byte",
    "x" * 5000,
    "../../etc/passwd",
    "%00",
    "\u202e1fdp.exe",
]


DISPATCH = READ_BY_HAND[2]  # "x" in request.POST: a button that chooses the action


def names_read_by_hand() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """{module: names its code reads}, {module: names that choose an action}."""
    names: dict[str, set[str]] = {}
    dispatch: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        module = "pepiniere." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        text = path.read_text(encoding="utf-8")
        for pattern in READ_BY_HAND:
            names.setdefault(module, set()).update(re.findall(pattern, text))
        dispatch[module] = set(re.findall(DISPATCH, text))
    names["pepiniere.applications.staff_views"] |= {
        f.name for f in ListFilters.__dataclass_fields__.values()
    }
    return names, dispatch


def names_on_page(html: str) -> tuple[set[str], set[str]]:
    """(every field name of the page's forms, the names of its submit buttons)."""
    fields = set(re.findall(r"<(?:input|select|textarea|button)\b[^>]*\bname=\"([^\"]+)\"", html))
    buttons = set(re.findall(r"<button\b[^>]*\bname=\"([^\"]+)\"", html))
    return fields - {"csrfmiddlewaretoken"}, buttons


def access_role(name: str) -> str:
    """The role most likely to get past the permission check (refused roles are tried too)."""
    app, _, view = name.partition(":")
    if app in {"backoffice", "selection", "grants", "builder"} or view in {
        "pool",
        "assignment",
        "progress",
    }:
        return "officer"
    if view in {"jury", "ranking"}:
        return "jury"
    if app == "reviews" or name == "api:get_assignment":
        return "expert"
    if name in {"accounts:signup", "accounts:login", "accounts:password_reset"}:
        return "anonymous"
    return "applicant"


VALUE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


class Fuzzer:
    def __init__(self, world: World) -> None:
        self.world = world
        self.clients: dict[str, Client] = {}
        for role in ("anonymous", *world.users):
            client = Client()
            if role != "anonymous":
                client.force_login(world.users[role])
            self.clients[role] = client
        self.targets: list[tuple[str, str, str]] = []
        for name, converters, view in all_patterns():
            if name.startswith("admin:"):
                continue  # Django's own admin; its audited forms have their own tests
            url = reverse(name, kwargs=world.url_args(name, converters))
            self.targets.append((name, url, getattr(view, "__module__", "")))
        self.by_module, self.dispatch = names_read_by_hand()
        self.generic = sorted(set().union(*self.by_module.values()))
        self.fields: dict[str, set[str]] = {}
        self.failures: list[str] = []
        self.statuses: dict[int, int] = {}

    def request(
        self, role: str, method: str, name: str, url: str, data: dict[str, Any], htmx: bool
    ) -> str:
        client = self.clients[role]
        cookies = copy.deepcopy(client.cookies)
        headers = {"HX-Request": "true"} if htmx else {}
        try:
            with transaction.atomic():
                response = (
                    client.post(url, data, headers=headers)
                    if method == "POST"
                    else client.get(url, data, headers=headers)
                )
                transaction.set_rollback(True)
        except Exception as error:  # a 500: the test client re-raises the view's exception
            self.failures.append(f"{method} {name} as {role} {data!r:.300}: {error!r:.300}")
            return ""
        finally:
            client.cookies = cookies
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            self.failures.append(f"{method} {name} as {role} {data!r:.300}: {response.status_code}")
        content_type = response.get("Content-Type", "")
        return response.content.decode(errors="replace") if "html" in content_type else ""

    def sweep(self) -> None:
        """Every view, as the role that reaches it: GET with every name it may read malformed,
        POST its fields malformed, then once more per action button (``"close" in
        request.POST``), so that each branch of the view reads the malformed values."""
        n = 0

        def nasty() -> str:
            nonlocal n
            n += 1
            return NASTY[n % len(NASTY)]

        for name, url, module in self.targets:
            role = access_role(name)
            fields, buttons = names_on_page(self.request(role, "GET", name, url, {}, False))
            read = self.by_module.get(module, set())
            self.fields[name] = fields | read
            self.request(role, "GET", name, url, {k: nasty() for k in sorted(fields | read)}, False)
            actions = (buttons | self.dispatch.get(module, set())) & (fields | read)
            plain = sorted((fields | read) - actions)
            if self.request_status(role, name, url, {k: nasty() for k in plain}) == 405:
                continue
            for action in sorted(actions):
                self.request_status(
                    role, name, url, {action: nasty(), **{k: nasty() for k in plain}}
                )

    def request_status(self, role: str, name: str, url: str, data: dict[str, Any]) -> int:
        before = dict(self.statuses)
        self.request(role, "POST", name, url, data, False)
        changed = [code for code, count in self.statuses.items() if before.get(code) != count]
        return changed[0] if changed else 500


def test_no_view_answers_500_to_malformed_input():
    fuzzer = Fuzzer(build_world())
    fuzzer.sweep()
    assert not fuzzer.failures, "\n".join(fuzzer.failures)
    roles = sorted(fuzzer.clients)

    @settings(
        max_examples=60,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data: Any) -> None:
        name, url, _module = data.draw(st.sampled_from(fuzzer.targets), label="view")
        role = data.draw(
            st.one_of(st.just(access_role(name)), st.sampled_from(roles)), label="role"
        )
        method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
        names = sorted(fuzzer.fields.get(name, set())) or fuzzer.generic
        keys = data.draw(
            st.lists(st.sampled_from(names + fuzzer.generic), max_size=8, unique=True),
            label="names",
        )
        params = {
            key: data.draw(st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3)), label=key)
            for key in keys
        }
        htmx = data.draw(st.booleans(), label="htmx")
        fuzzer.request(role, method, name, url, params, htmx)
        assert not fuzzer.failures, "\n".join(fuzzer.failures)

    fuzz()
    # The sweep and the examples reached the views' real work, not only their refusals.
    assert fuzzer.statuses.get(200, 0) > len(fuzzer.targets), fuzzer.statuses
