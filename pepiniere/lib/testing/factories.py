"""Hand-written factories for tests: small, explicit, named after the domain."""

from __future__ import annotations

import datetime
import itertools
import random
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.applications import services
from pepiniere.applications.models import Application
from pepiniere.calls.models import Call, Criterion, FieldKind, FormField
from pepiniere.demo.identifiers import fictional_siret
from pepiniere.organisations.models import MemberRole, Membership, Organisation, OrganisationKind
from pepiniere.programmes.models import Axis, Funder, FunderKind, Programme
from pepiniere.territories.models import Departement

_counter = itertools.count(1)


def _minimal_pdf() -> bytes:
    """A real one-page PDF (catalogue, page tree, cross-reference table, trailer): uploads parse it."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        start,
    )
    return bytes(out)


PDF_BYTES = _minimal_pdf()


def make_user(
    email: str | None = None,
    *,
    role: str = Role.APPLICANT,
    funder: Funder | None = None,
    password: str | None = "secret-pass-123",  # None: an unusable password
    **extra: Any,
) -> User:
    n = next(_counter)
    user = User.objects.create_user(
        email=email or f"user{n}@example.test",
        password=password,
        full_name=extra.pop("full_name", f"User {n}"),
        **extra,
    )
    RoleGrant.objects.create(user=user, role=role, funder=funder)
    return user


def make_funder(name: str = "Région Aquitaine") -> Funder:
    n = next(_counter)
    return Funder.objects.create(name=name, slug=f"funder-{n}", kind=FunderKind.REGION)


def make_programme(funder: Funder | None = None) -> Programme:
    n = next(_counter)
    return Programme.objects.create(
        funder=funder or make_funder(),
        title=f"Programme {n}",
        slug=f"programme-{n}",
        start_date=datetime.date(2015, 1, 1),
        end_date=datetime.date(2030, 12, 31),
    )


def make_call(
    *,
    funder: Funder | None = None,
    opens_at: datetime.datetime | None = None,
    closes_at: datetime.datetime | None = None,
    fields: bool = True,
    **extra: Any,
) -> Call:
    n = next(_counter)
    funder = funder or make_funder()
    programme = extra.pop("programme", None) or make_programme(funder)
    now = timezone.now()
    axis = extra.pop("axis", None) or Axis.objects.create(
        programme=programme, code=f"axis-{n}", title=f"Axe {n}", budget=Decimal("1000000")
    )
    departements = extra.pop("departements", None)
    call = Call.objects.create(
        funder=funder,
        programme=programme,
        axis=axis,
        code=extra.pop("code", f"call{n}"),
        slug=extra.pop("slug", f"call-{n}"),
        title=extra.pop("title", f"Appel {n}"),
        summary=extra.pop("summary", "Un appel de test"),
        description=extra.pop("description", "Description"),
        envelope=extra.pop("envelope", Decimal("550000")),
        opens_at=opens_at or now - datetime.timedelta(days=10),
        closes_at=closes_at or now + datetime.timedelta(days=10),
        is_published=extra.pop("is_published", True),
        **extra,
    )
    if departements:
        call.eligible_departements.set(Departement.objects.filter(code__in=departements))
    if fields:
        FormField.objects.create(
            call=call,
            key="innovation",
            label="Innovation",
            kind=FieldKind.LONG_TEXT,
            word_limit=50,
            position=1,
        )
        FormField.objects.create(
            call=call,
            key="plan",
            label="Plan de financement",
            kind=FieldKind.FILE,
            allowed_extensions="pdf",
            max_file_mb=1,
            position=2,
        )
        Criterion.objects.create(
            call=call, title="Innovation", weight=Decimal(2), threshold=Decimal(3)
        )
    return call


def make_organisation(
    *,
    member: User | None = None,
    departement: str = "33",
    kind: str = OrganisationKind.STARTUP,
    **extra: Any,
) -> Organisation:
    n = next(_counter)
    organisation = Organisation.objects.create(
        name=extra.pop("name", f"Structure {n}"),
        kind=kind,
        siret=extra.pop("siret", fictional_siret(random.Random(n))),
        departement=Departement.objects.get(code=departement),
        creation_date=extra.pop("creation_date", datetime.date(2012, 5, 1)),
        **extra,
    )
    if member is not None:
        Membership.objects.create(user=member, organisation=organisation, role=MemberRole.OWNER)
    return organisation


def complete_answers(**core: str) -> dict[str, Any]:
    values = {
        "title": "Partage de bateaux",
        "summary": "Location de bateaux entre particuliers.",
        "requested_amount": "40000",
        "project_budget": "80000",
    }
    values.update(core)
    return {"_core": values, "innovation": "Une plateforme locale."}


def make_draft(
    *,
    call: Call | None = None,
    applicant: User | None = None,
    organisation: Organisation | None = None,
    complete: bool = True,
) -> Application:
    call = call or make_call()
    applicant = applicant or make_user()
    organisation = organisation or make_organisation(member=applicant)
    application = services.start_application(call=call, organisation=organisation, actor=applicant)
    if complete:
        services.save_draft(application=application, actor=applicant, answers=complete_answers())
        services.upload_attachment(
            application=application,
            actor=applicant,
            field_key="plan",
            uploaded=SimpleUploadedFile("plan.pdf", PDF_BYTES, "application/pdf"),
        )
    application.refresh_from_db()
    return application


def make_submitted(**kwargs: Any) -> Application:
    application = make_draft(**kwargs)
    services.submit_application(application=application, actor=application.created_by)
    application.refresh_from_db()
    return application


def page_text(response: Any) -> str:
    """The response body as a person reads it (HTML entities decoded)."""
    import html

    return html.unescape(response.content.decode())


def plain(text: str) -> str:
    """Text with French typographic spaces (narrow no-break, no-break) turned into plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")
