"""axe-core on the sign-up, invitation and join-request pages (issue 10): no serious violation."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from pepiniere.accounts.models import User
from pepiniere.lib.testing.factories import make_organisation, make_user
from pepiniere.organisations.models import JoinRequest, MemberInvitation
from pepiniere.organisations.services import INVITATION_VALIDITY
from pepiniere.tests_browser.conftest import login
from pepiniere.tests_browser.test_accessibility import PASSWORD, _violations


def test_organisation_access_pages_have_no_serious_accessibility_violation(page, live_server):
    owner = make_user(password=PASSWORD, full_name="Olga Owner")
    organisation = make_organisation(member=owner, name="Bateaux Partagés")
    claimant = make_user(password=PASSWORD, full_name="Mallory Martin")
    join_request = JoinRequest.objects.create(
        organisation=organisation, user=claimant, identifier=organisation.siret
    )
    invitation = MemberInvitation.objects.create(
        organisation=organisation,
        email="nina@example.test",
        token="jeton-de-test-accessibilite",
        invited_by=owner,
        expires_at=timezone.now() + INVITATION_VALIDITY,
    )
    pending = make_user("paula@example.test", password=PASSWORD)
    User.objects.filter(pk=pending.pk).update(is_active=False)
    pending.refresh_from_db()
    uid = urlsafe_base64_encode(force_bytes(pending.pk))
    token = default_token_generator.make_token(pending)
    problems: list[str] = []

    page.goto("/compte/inscription/envoyee/")
    problems += _violations(page, "sign-up e-mail sent")
    page.goto(f"/compte/activation/{uid}/{token}/")
    problems += _violations(page, "activation")
    page.goto(f"/structures/invitation/{invitation.token}/")
    problems += _violations(page, "invitation (new account)")

    login(page, live_server, owner.email, PASSWORD)
    page.goto(f"/structures/{organisation.pk}/")
    problems += _violations(page, "organisation with a pending request and an invitation")
    page.goto("/structures/demandes/")
    problems += _violations(page, "join requests")

    page.context.clear_cookies()
    login(page, live_server, claimant.email, PASSWORD)
    page.goto(f"/structures/demandes/{join_request.pk}/")
    problems += _violations(page, "claimant's status page")
    page.goto("/structures/")
    problems += _violations(page, "Mes structures with a pending request")

    assert not problems, "axe-core violations:\n" + "\n".join(problems)
