"""Every URL pattern has a permission test (issue 10, hardening).

The resolver lists every named URL. Each one is either public (PUBLIC, with the reason) or has at
least one refusal in REFUSALS: a person who must not get the page, and the request they try. The
test fails when a new URL is in neither (add it here, with the role that must be refused), when an
entry names a URL that no longer exists, and when a refusal is not refused.

Refused means: 403 or 404 for a logged-in person (404 when the object's existence is not theirs
to know), a redirect to the login page (or 401 from the API) for an anonymous visitor. The admin
site is checked as a whole: every admin URL redirects a logged-in person who is not staff to the
admin's login."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from pepiniere.lib.testing.world import World, build_world
from pepiniere.tests_project.urlmap import all_patterns

pytestmark = pytest.mark.django_db

PUBLIC = {
    "calls:catalogue": "the open calls catalogue",
    "calls:detail": "a published call",
    "calls:document": "a published call's documents (rules, templates)",
    "accounts:signup": "sign-up",
    "accounts:signup_sent": "sign-up: check your e-mail",
    "accounts:activate": "account activation link (the token is the credential)",
    "organisations:invitation": "a member invitation link (the token is the credential)",
    "accounts:login": "login",
    "accounts:logout": "logout (POST, ends one's own session)",
    "accounts:mfa_second_step": "second step of a login in progress (nothing without the first)",
    "accounts:mfa_demo": "demo explanation page (404 outside the demo)",
    "accounts:password_reset": "password reset request",
    "accounts:password_reset_done": "password reset request sent",
    "accounts:password_reset_confirm": "password reset link (the token is the credential)",
    "accounts:password_reset_complete": "password reset done",
    "reviews:invitation": "an expert's invitation link (the token is the credential)",
    "api:openapi-json": "the API schema",
    "api:openapi-view": "the API documentation",
    "api:api-root": "the API root",
    "api:list_calls": "published calls",
    "api:get_call": "a published call (or one's own funder's unpublished call)",
    "api:list_programmes": "programmes and their budgets (public, as the impact pages)",
    "api:get_programme": "a programme and its budgets (public, as the impact pages)",
    "set_language": "language switcher",
    "admin:login": "the admin's login page",
    "admin:logout": "the admin's logout",
    "impact:public_programme": "a programme's impact figures (aggregates, statistical secrecy)",
    "impact:public_csv": "the same figures as CSV (aggregates, statistical secrecy)",
    "opendata:index": "open data: the funders that publish (décret n° 2017-779)",
    "opendata:funder": "open data: a funder's published agreements",
    "opendata:scdl": "open data: a funder's SCDL file",
    "opendata:giving": "open data: a funder's 360Giving package",
    "crowdfunding:public": "live crowdfunding campaigns and their top-ups (no payer's name)",
    "programmes:detail": "a programme, its axes' envelopes and its published calls",
    "programmes:label": "a label and the territories that hold it (organisations counted only)",
}

# name → refusals: (role, method, data). Roles are those of lib/testing/world.py.
REFUSALS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    # Match-funded crowdfunding: the association's member is none of the world's roles.
    "crowdfunding:mine": [("anonymous", "GET", {})],
    "crowdfunding:create": [("stranger", "GET", {}), ("officer", "POST", {"title": "x"})],
    "crowdfunding:detail": [("stranger", "GET", {}), ("other_officer", "GET", {})],
    "crowdfunding:edit": [("stranger", "GET", {}), ("officer", "POST", {"title": "x"})],
    "crowdfunding:launch": [("stranger", "POST", {}), ("officer", "POST", {})],
    "crowdfunding:add_pledge": [
        ("stranger", "GET", {}),
        ("officer", "POST", {"amount": "10", "reference": "X"}),
    ],
    "crowdfunding:upload": [("stranger", "GET", {}), ("officer", "POST", {})],
    "crowdfunding:import_preview": [
        ("stranger", "GET", {}),
        ("officer", "POST", {}),
        ("other_officer", "POST", {}),
    ],
    "crowdfunding:staff_index": [("anonymous", "GET", {}), ("stranger", "GET", {})],
    "crowdfunding:call": [
        ("stranger", "GET", {}),
        ("applicant", "GET", {}),
        ("other_officer", "GET", {}),
    ],
    "crowdfunding:close": [("stranger", "POST", {}), ("other_officer", "POST", {})],
    "accounts:account": [("anonymous", "GET", {})],
    "accounts:download_data": [("anonymous", "GET", {})],
    "accounts:close_account": [("anonymous", "GET", {}), ("anonymous", "POST", {})],
    "accounts:mfa_enrol": [("anonymous", "GET", {})],
    "accounts:mfa_recovery_codes": [("anonymous", "GET", {})],
    "accounts:mfa_regenerate_codes": [("anonymous", "POST", {})],
    "accounts:mfa_turn_off": [("anonymous", "POST", {})],
    "api_tokens:create": [("anonymous", "GET", {}), ("anonymous", "POST", {"name": "x"})],
    "api_tokens:revoke": [("anonymous", "POST", {}), ("stranger", "POST", {})],
    "organisations:mine": [("anonymous", "GET", {})],
    "organisations:create": [("anonymous", "GET", {})],
    "organisations:detail": [("stranger", "GET", {}), ("officer", "GET", {})],
    "organisations:edit": [("stranger", "GET", {}), ("stranger", "POST", {"name": "Pris"})],
    "organisations:bank_details": [
        ("stranger", "GET", {}),
        ("officer", "GET", {}),
        ("stranger", "POST", {"holder": "Escroc", "iban": "FR7630006000011234567890189"}),
    ],
    "organisations:bank_queue": [("applicant", "GET", {}), ("finance", "GET", {})],
    "organisations:bank_decision": [
        ("applicant", "GET", {}),
        ("other_officer", "GET", {}),
        ("finance", "POST", {"decision": "validate"}),
    ],
    "organisations:bank_rib": [("stranger", "GET", {}), ("other_officer", "GET", {})],
    "applications:mine": [("anonymous", "GET", {})],
    "applications:start": [("stranger", "POST", {"organisation": "{organisation}"})],
    "applications:detail": [("stranger", "GET", {}), ("other_officer", "GET", {})],
    "applications:edit": [("stranger", "GET", {}), ("officer", "POST", {})],
    "applications:upload": [("stranger", "POST", {})],
    "applications:remove": [("stranger", "POST", {})],
    "applications:precheck": [("stranger", "GET", {})],
    "applications:submit": [("stranger", "POST", {}), ("officer", "POST", {})],
    "applications:receipt": [("stranger", "GET", {})],
    "applications:receipt_pdf": [("stranger", "GET", {})],
    "applications:version": [("stranger", "GET", {}), ("expert", "GET", {})],
    "applications:withdraw": [("stranger", "GET", {}), ("officer", "POST", {})],
    "applications:attachment": [("stranger", "GET", {}), ("other_expert", "GET", {})],
    "selection:scenarios": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "selection:compare": [("applicant", "GET", {}), ("expert", "GET", {})],
    "selection:detail": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "grants:call": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "grants:policy": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "grants:co_funding": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "grants:send_letters": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "grants:award": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "grants:letter_templates": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "grants:letter_template": [
        ("applicant", "GET", {}),
        ("other_officer", "GET", {}),
        ("finance", "POST", {"save": "", "subject": "x", "body": "<p>x</p>"}),
    ],
    "aid:minimis": [("stranger", "GET", {}), ("other_officer", "GET", {})],
    "aid:decision": [("stranger", "GET", {})],
    "aid:letter_pdf": [("stranger", "GET", {}), ("expert", "GET", {})],
    "backoffice:home": [("applicant", "GET", {}), ("expert", "GET", {})],
    "backoffice:list": [("applicant", "GET", {})],
    "backoffice:bulk": [("applicant", "POST", {"ids": "{application}", "action": "eligible"})],
    "backoffice:export": [("applicant", "GET", {}), ("finance", "GET", {}), ("jury", "GET", {})],
    "backoffice:detail": [("other_officer", "GET", {}), ("applicant", "GET", {})],
    "backoffice:decide": [
        ("other_officer", "POST", {"text": "x"}),
        ("jury", "POST", {"text": "x"}),
    ],
    "backoffice:export_status": [("other_officer", "GET", {}), ("jury", "GET", {})],
    "backoffice:export_download": [("other_officer", "GET", {}), ("admin", "GET", {})],
    "backoffice:dashboard": [("other_officer", "GET", {})],
    "reviews:home": [("anonymous", "GET", {})],
    "home:index": [("anonymous", "GET", {})],
    "home:finance": [("anonymous", "GET", {}), ("applicant", "GET", {}), ("jury", "GET", {})],
    "home:finance_export": [("applicant", "GET", {}), ("expert", "GET", {}), ("jury", "GET", {})],
    "home:movements": [("applicant", "GET", {}), ("jury", "GET", {})],
    "home:movements_export": [("applicant", "GET", {}), ("jury", "GET", {})],
    "home:audit_entry": [("other_officer", "GET", {}), ("applicant", "GET", {})],
    "reviews:profile": [("anonymous", "GET", {})],
    "reviews:review": [("other_expert", "GET", {}), ("officer", "GET", {})],
    "reviews:conflict": [("other_expert", "GET", {}), ("other_expert", "POST", {"note": "x"})],
    "reviews:bids": [("applicant", "GET", {}), ("other_expert", "GET", {})],
    "reviews:pool": [("expert", "GET", {}), ("other_officer", "GET", {})],
    "reviews:assignment": [("expert", "GET", {}), ("other_officer", "POST", {"propose": ""})],
    "reviews:progress": [("expert", "GET", {}), ("other_officer", "GET", {})],
    "reviews:ranking": [("applicant", "GET", {}), ("expert", "GET", {})],
    "selection:jury": [
        ("applicant", "GET", {}),
        ("officer", "POST", {"open": ""}),
        ("jury", "POST", {"new_session": "", "reason": "x"}),
    ],
    "organisations:join_requests": [("anonymous", "GET", {})],
    "organisations:join_request": [("expert", "GET", {}), ("finance", "GET", {})],
    "organisations:decide_join_request": [
        ("stranger", "POST", {"decision": "accept"}),
        ("other_officer", "POST", {"decision": "accept"}),
    ],
    "grants:link": [("applicant", "POST", {"decision": "confirm"}), ("other_officer", "POST", {})],
    "builder:list": [("applicant", "GET", {}), ("expert", "GET", {})],
    "builder:new": [("applicant", "GET", {}), ("finance", "POST", {"title": "x"})],
    "builder:general": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "builder:eligibility": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "builder:form": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "builder:grid": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "builder:review": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "builder:documents": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "builder:letters": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "builder:preview": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "builder:reorder": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "builder:publish": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "builder:question": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "builder:add_column": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "builder:remove_question": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "builder:move_question": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "builder:remove_document": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "portfolio:list": [("applicant", "GET", {}), ("expert", "GET", {})],
    "portfolio:export": [("applicant", "GET", {}), ("jury", "GET", {})],
    "portfolio:jobs": [("applicant", "GET", {}), ("expert", "GET", {})],
    "portfolio:organisation": [("stranger", "GET", {}), ("other_officer", "GET", {})],
    "api:list_applications": [("anonymous", "GET", {})],
    "api:list_assignments": [("anonymous", "GET", {})],
    "api:get_application": [("stranger", "GET", {}), ("other_officer", "GET", {})],
    "api:get_assignment": [("other_expert", "GET", {})],
    "api:list_awards": [("anonymous", "GET", {})],
    "api:get_award": [("stranger", "GET", {}), ("other_officer", "GET", {}), ("expert", "GET", {})],
    "api:list_agreements": [("anonymous", "GET", {})],
    "api:get_agreement": [
        ("stranger", "GET", {}),
        ("other_officer", "GET", {}),
        ("jury", "GET", {}),
    ],
    "api:list_instalments": [("anonymous", "GET", {})],
    "api:get_instalment": [
        ("stranger", "GET", {}),
        ("other_officer", "GET", {}),
        ("jury", "GET", {}),
    ],
    "api:list_organisations": [("anonymous", "GET", {})],
    "api:get_organisation": [
        ("stranger", "GET", {}),
        ("other_officer", "GET", {}),
        ("expert", "GET", {}),
    ],
    "api:list_kpi_reports": [("anonymous", "GET", {})],
    "api:get_kpi_report": [
        ("stranger", "GET", {}),
        ("other_officer", "GET", {}),
        ("expert", "GET", {}),
    ],
    "api:get_indicators": [
        ("anonymous", "GET", {}),
        ("applicant", "GET", {}),
        ("expert", "GET", {}),
    ],
    # Writes take a read-write token only: the session of a browser is refused (401).
    "api:save_kpi_draft": [
        ("anonymous", "PUT", {}),
        ("applicant", "PUT", {}),
        ("stranger", "PUT", {}),
    ],
    "api:submit_kpi_report": [("anonymous", "POST", {}), ("applicant", "POST", {})],
    "api:save_application_draft": [("anonymous", "PATCH", {}), ("applicant", "PATCH", {})],
    "kpi:mine": [("anonymous", "GET", {})],
    # The accelerator: its funder's officers run it; the start-up (applicant) sees its stay.
    "accelerator:home": [("anonymous", "GET", {})],
    "accelerator:programme": [("other_officer", "GET", {}), ("applicant", "GET", {})],
    "accelerator:form_cohort": [("other_officer", "GET", {}), ("jury", "POST", {"year": "2026"})],
    "accelerator:mentors": [("applicant", "GET", {}), ("other_officer", "POST", {})],
    "accelerator:matching": [("other_officer", "GET", {}), ("applicant", "GET", {})],
    "accelerator:propose": [("other_officer", "POST", {}), ("expert", "POST", {})],
    "accelerator:swap": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "accelerator:confirm": [("applicant", "POST", {}), ("finance", "POST", {})],
    "accelerator:stay": [("stranger", "GET", {}), ("other_officer", "GET", {})],
    "accelerator:stay_action": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "accelerator:add_session": [("applicant", "POST", {"topic": "x"}), ("stranger", "POST", {})],
    "accelerator:add_milestone": [("applicant", "POST", {"title": "x"}), ("jury", "POST", {})],
    "accelerator:decide_milestone": [
        ("applicant", "POST", {"evidence": "x"}),
        ("stranger", "POST", {}),
    ],
    "accelerator:evidence": [("stranger", "GET", {}), ("other_officer", "GET", {})],
    "kpi:report": [("stranger", "GET", {}), ("other_officer", "GET", {})],
    "payments:schedule": [
        ("stranger", "GET", {}),
        ("other_officer", "GET", {}),
        ("jury", "GET", {}),
    ],
    "payments:request": [
        ("stranger", "GET", {}),
        ("officer", "GET", {}),
        ("finance", "POST", {"report": "x"}),
    ],
    "payments_staff:to_check": [("applicant", "GET", {}), ("finance", "GET", {})],
    "payments_staff:check": [
        ("applicant", "GET", {}),
        ("other_officer", "GET", {}),
        ("finance", "POST", {}),
    ],
    "payments_staff:return": [
        ("applicant", "POST", {"reason": "x"}),
        ("other_officer", "POST", {}),
    ],
    "payments_staff:to_authorise": [("applicant", "GET", {}), ("officer", "GET", {})],
    "payments_staff:authorise": [("applicant", "POST", {}), ("officer", "POST", {})],
    "payments_staff:runs": [("applicant", "GET", {}), ("officer", "GET", {})],
    "payments_staff:create_run": [("applicant", "POST", {}), ("officer", "POST", {})],
    "payments_staff:run": [("applicant", "GET", {}), ("officer", "GET", {})],
    "payments_staff:confirm_run": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "payments_staff:run_file": [("applicant", "GET", {}), ("officer", "GET", {})],
    "payments_staff:recoveries": [("applicant", "GET", {}), ("officer", "GET", {})],
    "payments_staff:recovery_action": [("applicant", "POST", {}), ("officer", "POST", {})],
    "agreements:call": [
        ("applicant", "GET", {}),
        ("other_officer", "GET", {}),
        ("jury", "GET", {}),
    ],
    "agreements:prepare": [("applicant", "POST", {}), ("finance", "POST", {})],
    "agreements:template": [("other_officer", "GET", {}), ("finance", "GET", {})],
    "agreements:schedule": [("other_officer", "GET", {}), ("finance", "POST", {})],
    "agreements:detail": [
        ("applicant", "GET", {}),
        ("other_officer", "GET", {}),
        ("expert", "GET", {}),
    ],
    "agreements:edit_draft": [("other_officer", "POST", {}), ("finance", "POST", {})],
    "agreements:send": [("other_officer", "POST", {}), ("finance", "POST", {})],
    "agreements:sign_funder": [("applicant", "POST", {}), ("other_officer", "POST", {})],
    "agreements:amend": [("other_officer", "GET", {}), ("finance", "GET", {})],
    "agreements:terminate": [("other_officer", "POST", {}), ("finance", "POST", {"reason": "x"})],
    "agreements:pdf": [
        ("stranger", "GET", {}),
        ("other_officer", "GET", {}),
        ("expert", "GET", {}),
    ],
    "agreements:mine": [("stranger", "GET", {}), ("officer", "GET", {}), ("stranger", "POST", {})],
    "kpi:validate": [("stranger", "POST", {}), ("applicant", "POST", {})],
    "kpi:return": [("other_officer", "POST", {"reason": "x"}), ("applicant", "POST", {})],
    "kpi:correct": [("other_officer", "POST", {"fte": "1"}), ("applicant", "POST", {})],
    "kpi:campaigns": [("applicant", "GET", {}), ("expert", "GET", {})],
    "kpi:new_campaign": [("applicant", "GET", {}), ("finance", "POST", {})],
    "kpi:campaign": [("applicant", "GET", {}), ("other_officer", "GET", {})],
    "kpi:close": [("applicant", "POST", {}), ("finance", "POST", {})],
    "kpi:template": [("other_officer", "GET", {}), ("finance", "GET", {})],
    "kpi:upload": [("other_officer", "POST", {}), ("jury", "GET", {})],
    "kpi:import": [("other_officer", "POST", {}), ("applicant", "GET", {})],
    "kpi:indicators": [("applicant", "GET", {}), ("expert", "GET", {})],
    "kpi:drill_down": [("applicant", "GET", {}), ("anonymous", "GET", {})],
    "impact:dashboard": [("anonymous", "GET", {}), ("applicant", "GET", {}), ("expert", "GET", {})],
    "impact:dashboard_csv": [("anonymous", "GET", {}), ("applicant", "GET", {})],
    "opendata:manage": [("anonymous", "GET", {}), ("other_officer", "GET", {})],
    "opendata:withhold": [("other_officer", "POST", {"reason": "x"}), ("applicant", "POST", {})],
    "opendata:restore": [("other_officer", "POST", {}), ("finance", "POST", {})],
    "programmes:labels": [
        ("anonymous", "GET", {}),
        ("applicant", "GET", {}),
        ("expert", "POST", {"name": "Pris", "kind": "territory", "awarding_body": "X"}),
    ],
    "programmes:label_manage": [
        ("applicant", "GET", {}),
        ("jury", "GET", {}),
        ("other_officer", "POST", {"territory_name": "Lyon", "start_date": "2015-01-01"}),
    ],
    "programmes:end_holding": [
        ("applicant", "POST", {"end_date": "2020-01-01"}),
        ("other_officer", "POST", {"end_date": "2020-01-01"}),
        ("finance", "POST", {"end_date": "2020-01-01"}),
    ],
    "opendata:imports": [
        ("anonymous", "GET", {}),
        ("other_officer", "GET", {}),
        ("finance", "POST", {}),
    ],
    "opendata:import_preview": [("other_officer", "GET", {}), ("applicant", "GET", {})],
    "opendata:import_confirm": [("other_officer", "POST", {}), ("finance", "POST", {})],
    "opendata:import_cancel": [("other_officer", "POST", {}), ("applicant", "POST", {})],
    "opendata:import_report": [("other_officer", "GET", {}), ("anonymous", "GET", {})],
}


# Refused with an error message on the page they are sent back to (a form action, not a page).
REFUSED_WITH_MESSAGE = {"applications:start"}


def _admin_url(name: str, world: World) -> str:
    """Admin URLs take an object id, an app label or nothing; any value does, since a visitor
    who is not staff is turned away before the object is looked up."""
    for kwargs in (
        {},
        {"object_id": world.application.pk},
        {"app_label": "applications"},
        {"id": world.users["admin"].pk},
        {"content_type_id": 1, "object_id": 1},
        {"pk": 1},
    ):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    for args in ((1,), (1, 1)):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    raise AssertionError(f"{name}: add its arguments to _admin_url")


def _refused(response: Any, role: str, admin: bool, api: bool = False) -> bool:
    if admin:
        return response.status_code == 302 and "/admin/login/" in response["Location"]
    if role == "anonymous":
        login = reverse("accounts:login")
        return response.status_code in (401, 403, 404) or (
            response.status_code == 302 and response["Location"].startswith(login)
        )
    # The API's writes take a read-write token only: a browser's session is not one (401).
    return response.status_code in ((401, 403, 404) if api else (403, 404))


def test_every_url_is_public_or_has_a_refusal_test():
    names = {name for name, _converters, _view in all_patterns()}
    checked = set(PUBLIC) | set(REFUSALS) | {n for n in names if n.startswith("admin:")}
    missing = sorted(names - checked)
    assert not missing, (
        "URL patterns without a permission test: add each to REFUSALS (or, if truly public, to "
        f"PUBLIC) in {__file__}: {missing}"
    )
    stale = sorted((set(PUBLIC) | set(REFUSALS)) - names)
    assert not stale, f"Entries for URL names that no longer exist: {stale}"
    assert not set(PUBLIC) & set(REFUSALS)


def test_each_refusal_is_refused():
    world = build_world()
    clients: dict[str, Client] = {}
    for role in ("anonymous", *world.users):
        clients[role] = Client()
        if role != "anonymous":
            clients[role].force_login(world.users[role])
    placeholders = {
        "{organisation}": str(world.application.organisation_id),
        "{application}": str(world.application.pk),
    }
    failures = []
    for name, converters, _view in all_patterns():
        if name.startswith("admin:"):
            if name in PUBLIC:
                continue
            response = clients["applicant"].get(_admin_url(name, world))
            if not _refused(response, "applicant", admin=True):
                failures.append(f"{name} as applicant: {response.status_code}")
            continue
        for role, method, data in REFUSALS.get(name, []):
            url = reverse(name, kwargs=world.url_args(name, converters))
            payload = {k: placeholders.get(v, v) for k, v in data.items()}
            client = clients[role]
            follow = name in REFUSED_WITH_MESSAGE
            if method == "POST":
                response = client.post(url, payload, follow=follow)
            elif method == "GET":
                response = client.get(url, payload, follow=follow)
            else:  # the API's PUT and PATCH take JSON
                response = client.generic(
                    method, url, json.dumps(payload), content_type="application/json"
                )
            refused = (
                response.status_code == 200 and 'class="message error"' in response.content.decode()
                if follow
                else _refused(
                    response, role, admin=False, api=name.startswith("api:") and method != "GET"
                )
            )
            if not refused:
                failures.append(f"{name} {method} as {role}: {response.status_code}")
    assert not failures, failures
