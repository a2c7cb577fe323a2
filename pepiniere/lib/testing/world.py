"""One small but complete world for the project-wide tests (permission coverage, malformed input):
a reviewed, ranked, decided and awarded call with every kind of object a page can be about, and one
named person per role, plus outsiders (an applicant of another organisation, an officer and an
expert of another funder's call).

``url_args(name)`` gives the real arguments of every URL pattern, so that those tests reach the
views' real work instead of their 404s. A new URL pattern with an argument name not known here makes
``url_args`` raise: add the object to the world."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from pepiniere.accounts.models import Role, User
from pepiniere.applications.models import Application, Attachment, Export, ExportStatus
from pepiniere.calls.models import Call, CallDocument
from pepiniere.lib.testing.factories import (
    PDF_BYTES,
    make_call,
    make_draft,
    make_organisation,
    make_user,
)

ROLES = (
    "anonymous",
    "applicant",
    "stranger",
    "officer",
    "other_officer",
    "expert",
    "other_expert",
    "jury",
    "finance",
    "admin",
)


@dataclass
class World:
    users: dict[str, User]
    call: Call
    open_call: Call
    application: Application
    draft: Application
    attachment: Attachment
    objects: dict[str, Any] = field(default_factory=dict)

    def url_args(self, name: str, converters: dict[str, str]) -> dict[str, Any]:
        """Real keyword arguments for the URL pattern ``name`` (``converters``: argument name →
        converter name, from the resolver)."""
        o = self.objects
        by_name = {
            "calls:document": {"slug": self.call.slug, "document_id": o["document"].pk},
            "applications:start": {"slug": self.open_call.slug},
            "applications:edit": {"pk": self.draft.pk},
            "applications:upload": {"pk": self.draft.pk, "field_key": "plan"},
            "programmes:detail": {"slug": self.call.programme.slug},
            **{
                f"programmes:{page}": {"slug": o["label"].slug, "pk": o["label_holding"].pk}
                for page in ("label", "label_manage", "end_holding")
            },
            "applications:remove": {"pk": self.draft.pk, "attachment_id": o["draft_attachment"].pk},
            "applications:precheck": {"pk": self.draft.pk},
            "applications:submit": {"pk": self.draft.pk},
            "applications:withdraw": {"pk": self.draft.pk},
            "applications:version": {"pk": self.application.pk, "number": 1},
            "applications:attachment": {"token": self.attachment.token},
            "organisations:detail": {"pk": self.application.organisation_id},
            "organisations:edit": {"pk": self.application.organisation_id},
            "organisations:bank_details": {"pk": self.application.organisation_id},
            "organisations:bank_decision": {"pk": o["bank_account"].pk},
            "organisations:bank_rib": {"pk": o["bank_account"].pk},
            "aid:minimis": {"pk": self.application.organisation_id},
            "portfolio:organisation": {"pk": self.application.organisation_id},
            "aid:letter_pdf": {"pk": o["letter"].pk},
            "selection:detail": {"slug": self.call.slug, "pk": o["scenario"].pk},
            "backoffice:decide": {"pk": self.application.pk, "action": "note"},
            "backoffice:export_status": {"pk": o["export"].pk},
            "backoffice:export_download": {"pk": o["export"].pk},
            "reviews:invitation": {"token": o["invitation"].token},
            "reviews:review": {"pk": o["assignment"].pk},
            "reviews:conflict": {"pk": o["assignment"].pk},
            "accounts:password_reset_confirm": {
                "uidb64": urlsafe_base64_encode(force_bytes(self.users["applicant"].pk)),
                "token": default_token_generator.make_token(self.users["applicant"]),
            },
            "organisations:join_request": {"pk": o["join_request"].pk},
            "organisations:decide_join_request": {"pk": o["join_request"].pk},
            "organisations:invitation": {"token": o["member_invitation"].token},
            "accounts:activate": {
                "uidb64": urlsafe_base64_encode(force_bytes(self.users["applicant"].pk)),
                "token": default_token_generator.make_token(self.users["applicant"]),
            },
            "grants:letter_template": {"slug": self.call.slug, "outcome": "awarded"},
            "grants:link": {
                "slug": self.call.slug,
                "pk": self.application.pk,
                "link_pk": o["link"].pk,
            },
            "builder:question": {"slug": self.call.slug, "pk": o["question"].pk},
            "builder:add_column": {"slug": self.call.slug, "pk": o["question"].pk},
            "builder:remove_question": {"slug": self.call.slug, "pk": o["question"].pk},
            "builder:move_question": {"slug": self.call.slug, "pk": o["question"].pk},
            "builder:remove_document": {"slug": self.call.slug, "pk": o["document"].pk},
            "api:get_call": {"slug": self.call.slug},
            "api:get_application": {"application_id": self.application.pk},
            "api:get_assignment": {"assignment_id": o["assignment"].pk},
            "api:get_programme": {"slug": self.call.programme.slug},
            "api:get_award": {"award_id": self.application.award.pk},
            "api:get_agreement": {"agreement_id": o["agreement"].pk},
            "api:get_instalment": {"instalment_id": o["instalment"].pk},
            "api:get_organisation": {"organisation_id": self.application.organisation_id},
            "api:get_kpi_report": {"report_id": o["kpi_baseline"].pk},
            "api:save_kpi_draft": {"report_id": o["kpi_baseline"].pk},
            "api:submit_kpi_report": {"report_id": o["kpi_baseline"].pk},
            "api:save_application_draft": {"application_id": self.draft.pk},
            "kpi:report": {"pk": o["kpi_baseline"].pk},
            "home:audit_entry": {"pk": o["award_entry"].pk},
            "payments:schedule": {"application_id": self.application.pk},
            "payments:request": {"pk": o["next_instalment"].pk},
            "payments_staff:check": {"pk": o["instalment"].pk},
            "payments_staff:return": {"pk": o["instalment"].pk},
            "payments_staff:authorise": {"pk": o["instalment"].pk},
            "payments_staff:run": {"pk": o["run"].pk},
            "payments_staff:confirm_run": {"pk": o["run"].pk},
            "payments_staff:run_file": {"pk": o["run"].pk, "kind": "mandatement"},
            "payments_staff:recovery_action": {"pk": o["recovery"].pk, "action": "issue"},
            "agreements:detail": {"pk": o["agreement"].pk},
            "agreements:edit_draft": {"pk": o["agreement"].pk},
            "agreements:send": {"pk": o["agreement"].pk},
            "agreements:sign_funder": {"pk": o["agreement"].pk},
            "agreements:amend": {"pk": o["agreement"].pk},
            "agreements:terminate": {"pk": o["agreement"].pk},
            "agreements:pdf": {"pk": o["agreement_version"].pk, "kind": "a-signer"},
            "kpi:validate": {"pk": o["kpi_baseline"].pk},
            "kpi:return": {"pk": o["kpi_baseline"].pk},
            "kpi:correct": {"pk": o["kpi_baseline"].pk},
            "kpi:campaign": {"pk": o["kpi_campaign"].pk},
            "api_tokens:revoke": {"pk": o["api_token"].pk},
            "kpi:close": {"pk": o["kpi_campaign"].pk},
            "kpi:template": {"pk": o["kpi_campaign"].pk},
            "kpi:upload": {"pk": o["kpi_campaign"].pk},
            "kpi:import": {"pk": o["kpi_campaign"].pk, "import_pk": o["kpi_import"].pk},
            "crowdfunding:create": {"pk": o["association"].pk},
            **{
                f"crowdfunding:{page}": {"pk": o["campaign"].pk}
                for page in ("detail", "edit", "launch", "add_pledge", "upload", "close")
            },
            "crowdfunding:import_preview": {
                "pk": o["campaign"].pk,
                "import_pk": o["pledge_import"].pk,
            },
            "crowdfunding:call": {"slug": o["match_call"].slug},
            **{
                f"accelerator:{page}": {"pk": o["accelerator"].pk}
                for page in ("programme", "form_cohort", "mentors")
            },
            **{f"accelerator:{page}": {"pk": o["cohort"].pk} for page in ("matching", "propose")},
            **{
                f"accelerator:{page}": {"pk": o["mentor_proposal"].pk}
                for page in ("swap", "confirm")
            },
            **{
                f"accelerator:{page}": {"pk": o["stay"].pk}
                for page in ("stay", "add_session", "add_milestone")
            },
            "accelerator:stay_action": {"pk": o["stay"].pk, "action": "renew"},
            "accelerator:decide_milestone": {"pk": o["milestone"].pk, "action": "reach"},
            "accelerator:evidence": {"pk": o["milestone"].pk},
            **{
                f"opendata:{page}": {
                    "siret": self.call.funder.siret,
                    "award_id": self.application.award.pk,
                }
                for page in ("funder", "scdl", "giving", "manage", "withhold", "restore")
            },
            **{
                f"opendata:{page}": {
                    "siret": self.call.funder.siret,
                    "batch_id": o["grant_import"].pk,
                }
                for page in (
                    "imports",
                    "import_preview",
                    "import_confirm",
                    "import_cancel",
                    "import_report",
                )
            },
        }
        if name in by_name:
            return {k: by_name[name][k] for k in converters}
        generic = {"slug": self.call.slug, "pk": self.application.pk}
        missing = set(converters) - set(generic)
        if missing:
            raise LookupError(
                f"{name}: no object in pepiniere/lib/testing/world.py for {sorted(missing)}"
            )
        return {k: generic[k] for k in converters}


def build_world() -> World:
    from pepiniere.grants import letters
    from pepiniere.grants import services as grant_services
    from pepiniere.organisations.models import Organisation
    from pepiniere.reviews import services as review_services
    from pepiniere.reviews.models import Assignment
    from pepiniere.reviews.tests.factories import make_reviewer
    from pepiniere.selection import jury as jury_services
    from pepiniere.selection import services as selection_services
    from pepiniere.selection.tests.factories import mark_selected, ranked_call

    call, officer, (application, second) = ranked_call([("33", 40000, 5), ("40", 30000, 2)])
    applicant = application.created_by
    call.funder.siret = "23330001900020"  # a SIRET (Luhn-valid) for the open-data pages
    call.funder.save(update_fields=["siret"])
    assignment = Assignment.objects.filter(application=application).select_related("reviewer")[0]
    jury = make_user(role=Role.JURY, funder=call.funder)
    finance = make_user(role=Role.FINANCE, funder=call.funder)
    admin = make_user(role=Role.ADMIN, is_staff=True, is_superuser=True)
    other_call = make_call()
    other_officer = make_user(role=Role.OFFICER, funder=other_call.funder)
    other_expert = make_reviewer(other_call)
    stranger = make_user()
    make_draft(call=other_call, applicant=stranger)

    jury_services.open_session(call=call, actor=jury, held_on=timezone.localdate(), members=[jury])
    scenario = selection_services.create_scenario(call=call, actor=officer, name="Classement")
    mark_selected(application)
    grant_services.award_grant(
        application=application,
        actor=officer,
        amount=Decimal("40000"),
        decision_reference="CP-2026-001",
        decision_date=datetime.date.today(),
    )
    letters.send_decision_letters(call=call, actor=officer)
    letter = application.decision_letters.first()
    assert letter is not None

    open_call = make_call(funder=call.funder)
    organisation = Organisation.objects.get(pk=application.organisation_id)
    draft = make_draft(call=open_call, applicant=applicant, organisation=organisation)
    export = Export.objects.create(
        requested_by=officer, format="csv", status=ExportStatus.DONE, total=1, done=1
    )
    export.file.save("dossiers.csv", ContentFile(b"reference\r\nAAP-1\r\n"))
    document = CallDocument.objects.create(call=call, title="Règlement")
    document.file.save("reglement.pdf", ContentFile(PDF_BYTES))
    invitation = review_services.invite_reviewer(
        call=call, email="nouvel.expert@example.test", actor=officer
    )

    from pepiniere.grants.models import LinkRelation
    from pepiniere.organisations import services as organisation_services

    join_request = organisation_services.request_to_join(
        organisation=organisation, actor=stranger, identifier=organisation.siret
    )
    member_invitation = organisation_services.invite_member(
        organisation=organisation, actor=applicant, email="associee@example.test"
    )
    link = grant_services.declare_linked_undertaking(
        organisation=organisation,
        actor=applicant,
        name=second.organisation.name,
        relation=LinkRelation.values[0],
        siren=second.organisation.siren,
    )
    question = call.form_fields.order_by("position")[0]
    from pepiniere.portfolio.models import KpiReport

    kpi_baseline = KpiReport.objects.get(organisation=organisation, is_baseline=True)
    from pepiniere.audit.services import trail_for

    award_entry = next(e for e in trail_for(application) if e.action == "award")

    from django.core.files.uploadedfile import SimpleUploadedFile

    from pepiniere.organisations.bank_services import submit_bank_details

    bank_account = submit_bank_details(
        organisation=organisation,
        actor=applicant,
        holder=organisation.name,
        iban="FR7630006000011234567890189",
        rib=SimpleUploadedFile("rib.pdf", PDF_BYTES, "application/pdf"),
    )
    from pepiniere.portfolio import services_campaigns as kpi_campaigns
    from pepiniere.portfolio.models import KpiImport

    today = timezone.localdate()
    kpi_campaign = kpi_campaigns.launch_campaign(
        actor=officer,
        funder=call.funder,
        call=call,
        period_year=today.year,
        due_date=datetime.date(today.year + 1, 3, 31),
    ).campaign
    kpi_import = KpiImport.objects.create(
        campaign=kpi_campaign,
        file_name="indicateurs.xlsx",
        sha256="0" * 64,
        uploaded_by=officer,
        uploaded_at=timezone.now(),
    )

    from pepiniere.opendata.importing import stage_import

    grant_import = stage_import(
        data=(
            "nomAttribuant;idAttribuant;dateConvention;nomBeneficiaire;idBeneficiaire;objet;"
            "montant\r\nRégion;23330001900020;12/03/2024;Atelier;;Tiers-lieu;12 500,00\r\n"
        ).encode("cp1252"),
        file_name="subventions-2024.csv",
        funder=call.funder,
        actor=officer,
    )

    payments = _payments(application, officer, applicant)
    crowdfunding = _crowdfunding(call, officer)
    accelerator = _accelerator(application, officer)
    from pepiniere.programmes import services as label_services

    label = label_services.create_label(
        actor=admin, name="French Tech", kind="territory", awarding_funder=call.funder
    )
    label_holding = label_services.grant_label(
        actor=admin,
        label=label,
        territory_name="Bordeaux Métropole",
        communes=["33063", "33281"],
        start_date=datetime.date(2014, 11, 12),
    )
    from pepiniere.api.models import ApiToken

    api_token, _key = ApiToken.issue(user=applicant, name="Script du tableur")

    users = {
        "applicant": applicant,
        "stranger": stranger,
        "officer": officer,
        "other_officer": other_officer,
        "expert": assignment.reviewer,
        "other_expert": other_expert,
        "jury": jury,
        "finance": finance,
        "admin": admin,
    }
    attachment = application.attachment_set.first()
    draft_attachment = draft.attachment_set.first()
    assert attachment is not None and draft_attachment is not None
    return World(
        users=users,
        call=call,
        open_call=open_call,
        application=application,
        draft=draft,
        attachment=attachment,
        objects={
            "second": second,
            "assignment": assignment,
            "scenario": scenario,
            "letter": letter,
            "export": export,
            "document": document,
            "invitation": invitation,
            "draft_attachment": draft_attachment,
            "join_request": join_request,
            "member_invitation": member_invitation,
            "link": link,
            "question": question,
            "kpi_baseline": kpi_baseline,
            "award_entry": award_entry,
            "bank_account": bank_account,
            **payments,
            "kpi_campaign": kpi_campaign,
            "kpi_import": kpi_import,
            "api_token": api_token,
            "grant_import": grant_import,
            **crowdfunding,
            **accelerator,
            "label": label,
            "label_holding": label_holding,
        },
    )


def _crowdfunding(call: Call, officer: User) -> dict[str, Any]:
    """A match-funding call of the world's funder, an association (its member is none of the
    world's roles) with a live campaign and an import waiting for confirmation."""
    from pepiniere.crowdfunding import services as crowdfunding_services
    from pepiniere.crowdfunding.models import MatchRule, ProjectType
    from pepiniere.organisations.models import OrganisationKind

    now = timezone.now()
    match_call = make_call(
        funder=call.funder,
        fields=False,
        envelope=Decimal("50000"),
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now + datetime.timedelta(days=300),
        eligible_kinds=["association"],
        slug="abondement-participatif",
    )
    MatchRule.objects.create(
        call=match_call,
        project_type=ProjectType.STANDARD,
        cap=Decimal("5000"),
        decision_reference="DEL-2026-02",
        officer=officer,
    )
    member = make_user(full_name="Membre de l'association")
    association = make_organisation(
        member=member, kind=OrganisationKind.ASSOCIATION, name="Atelier partagé", siret=""
    )
    campaign = crowdfunding_services.create_campaign(
        organisation=association,
        actor=member,
        data=crowdfunding_services.CampaignData(
            call=match_call,
            project_type=ProjectType.STANDARD,
            title="Un atelier pour tous",
            target=Decimal("4000"),
            starts_at=now - datetime.timedelta(days=3),
            ends_at=now + datetime.timedelta(days=20),
            platform_name="HelloAsso",
            platform_url="https://helloasso.test/atelier",
            investment_expenses=Decimal("3000"),
        ),
    )
    campaign = crowdfunding_services.launch_campaign(campaign=campaign, actor=member)
    pledge_import, _report = crowdfunding_services.preview_import(
        campaign=campaign,
        actor=member,
        uploaded=SimpleUploadedFile(
            "export.csv",
            f"reference,date,amount\nA1,{timezone.localdate().isoformat()},25\n".encode(),
            "text/csv",
        ),
    )
    return {
        "match_call": match_call,
        "association": association,
        "campaign": campaign,
        "pledge_import": pledge_import,
    }


def _accelerator(application: Application, officer: User) -> dict[str, Any]:
    """An accelerator taking its intake through the world's call: the awarded application's
    organisation in a stay, a mentor (no role of theirs), an open proposal, a milestone."""
    from pepiniere.accelerator import matching
    from pepiniere.accelerator import services as accelerator
    from pepiniere.accelerator.models import AcceleratorProgramme

    programme = AcceleratorProgramme.objects.create(
        funder=application.call.funder, call=application.call, name="Accélérateur du monde"
    )
    today = timezone.localdate()
    cohort = accelerator.form_cohort(
        programme=programme, year=today.year, starts=[(application, today)], actor=officer
    )
    mentor = accelerator.add_mentor(
        programme=programme, user=make_user(full_name="Mentor du monde"), actor=officer
    )
    stay = cohort.stays.get()
    return {
        "accelerator": programme,
        "cohort": cohort,
        "stay": stay,
        "mentor": mentor,
        "mentor_proposal": matching.propose_mentors(cohort=cohort, actor=officer),
        "milestone": accelerator.plan_milestone(
            stay=stay, title="Première version", due_date=today, actor=officer
        ),
    }


def _payments(application: Application, officer: User, applicant: User) -> dict[str, Any]:
    """A signed agreement on the award, its first instalment requested, a payment run and a
    recovery (the payments pages' objects)."""
    from pepiniere.agreements.models import Agreement, AgreementVersion, ScheduleStep
    from pepiniere.payments import services as payment_services
    from pepiniere.payments.models import PaymentRun, Recovery

    now = timezone.now()
    today = timezone.localdate()
    award = application.award
    agreement = Agreement.objects.create(
        award=award, reference="CONV-TEST-001", status="signed", created_by=officer, created_at=now
    )
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        amount=award.amount,
        aid_rate=Decimal("70"),
        eligible_budget=Decimal("57142.86"),
        start_date=today - datetime.timedelta(days=365),
        end_date=today + datetime.timedelta(days=365),
        created_by=officer,
        created_at=now,
        signed_at=now,
    )
    for position, (percent, trigger) in enumerate(
        [(Decimal(50), "signature"), (Decimal(50), "final_report")], start=1
    ):
        ScheduleStep.objects.create(
            version=version, position=position, percent=percent, trigger=trigger, label=trigger
        )
    payment_services.plan_instalments(version=version, actor=officer)
    instalment, next_instalment = award.instalments.order_by("position")
    payment_services.request_instalment(instalment=instalment, actor=applicant)
    run = PaymentRun.objects.create(
        funder=application.call.funder,
        reference="LOT-TEST-000001",
        created_at=now,
        execution_date=today,
    )
    recovery = Recovery.objects.create(
        award=award, amount=Decimal("100"), reason="Contrôle", raised_at=now
    )
    return {
        # The agreements pages' objects too (a signed agreement; its version was never sent,
        # so its PDF answers 404 to everyone).
        "agreement": agreement,
        "agreement_version": version,
        "instalment": instalment,
        "next_instalment": next_instalment,
        "run": run,
        "recovery": recovery,
    }
