"""What a call sets for the agreements of its awards: the default instalment schedule (copied
into each agreement prepared after) and the agreement template (checked by the sandboxed
`templating` engine before it is saved). Atomic and audited, like the other workflows."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from pepiniere.agreements import templating
from pepiniere.agreements.models import AgreementTemplate, CallScheduleStep
from pepiniere.agreements.permissions import can_manage_agreements
from pepiniere.agreements.schedule import StepSpec, check_steps
from pepiniere.agreements.services import AgreementError, check_allowed, replace_steps
from pepiniere.audit.services import record
from pepiniere.calls.models import Call


@transaction.atomic
def set_call_schedule(*, call: Call, actor: Any, steps: list[StepSpec]) -> list[CallScheduleStep]:
    """The call's default schedule (copied into each agreement prepared after)."""
    check_allowed(can_manage_agreements(actor, call))
    steps = check_steps(steps)
    saved = replace_steps(CallScheduleStep, steps, call=call)
    record(
        actor=actor,
        obj=call,
        action="set_call_schedule",
        reason=" + ".join(f"{s.percent} %" for s in steps),
        public=False,
    )
    return saved


@transaction.atomic
def save_agreement_template(
    *, call: Call, actor: Any, body: str, funder_address: str
) -> AgreementTemplate:
    check_allowed(can_manage_agreements(actor, call))
    try:
        templating.check_template(body)
    except templating.TemplateRefused as refused:
        raise AgreementError(refused.message, errors={"body": refused.message}) from None
    saved, _created = AgreementTemplate.objects.update_or_create(
        call=call,
        defaults={
            "body": body,
            "funder_address": funder_address.strip()[:300],
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    record(actor=actor, obj=call, action="set_agreement_template", public=False)
    return saved


@transaction.atomic
def reset_agreement_template(*, call: Call, actor: Any) -> None:
    check_allowed(can_manage_agreements(actor, call))
    # The funder's address is kept: only the wording goes back to the default.
    AgreementTemplate.objects.filter(call=call).update(
        body=templating.default_template(), updated_by=actor, updated_at=timezone.now()
    )
    record(actor=actor, obj=call, action="reset_agreement_template", public=False)
