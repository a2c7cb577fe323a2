"""Instalment schedules: the call's default one, and the rule every schedule keeps (positive
shares adding up to exactly 100 %)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _

from pepiniere.agreements.models import CallScheduleStep, Trigger
from pepiniere.calls.models import Call

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class StepSpec:
    percent: Decimal
    trigger: str
    label: str = ""


DEFAULT = [
    StepSpec(Decimal("50"), Trigger.SIGNATURE),
    StepSpec(Decimal("30"), Trigger.INTERIM_REPORT),
    StepSpec(Decimal("20"), Trigger.FINAL_REPORT),
]


def call_schedule(call: Call) -> list[StepSpec]:
    saved = [
        StepSpec(s.percent, s.trigger, s.label)
        for s in CallScheduleStep.objects.filter(call=call).order_by("position")
    ]
    return saved or list(DEFAULT)


class ScheduleRefused(Exception):
    def __init__(self, message: str, *, lines: dict[int, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lines = lines or {}  # line index → message


def parse_percent(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace("%", "").replace(",", ".").replace("\u202f", "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check_steps(steps: list[StepSpec]) -> list[StepSpec]:
    """The schedule as given, or ScheduleRefused with a message per line and for the total."""
    lines: dict[int, str] = {}
    if not steps:
        raise ScheduleRefused(_("L'échéancier compte au moins une tranche."))
    for index, step in enumerate(steps):
        if step.trigger not in Trigger.values:
            lines[index] = _("Choisissez ce qui déclenche cette tranche.")
        elif step.percent <= 0 or step.percent > HUNDRED:
            lines[index] = _("Une part est comprise entre 0 et 100 %.")
        elif step.percent != step.percent.quantize(Decimal("0.01")):
            lines[index] = _("Une part a au plus deux décimales.")
    if lines:
        raise ScheduleRefused(_("Corrigez les tranches signalées."), lines=lines)
    total = sum((s.percent for s in steps), Decimal("0"))
    if total != HUNDRED:
        raise ScheduleRefused(
            _(
                "Les parts des tranches totalisent %(total)s %% au lieu de 100 %% (écart : %(gap)s %%)."
            )
            % {
                "total": formats.number_format(total, decimal_pos=2),
                "gap": formats.number_format(HUNDRED - total, decimal_pos=2),
            }
        )
    if steps[-1].trigger != Trigger.FINAL_REPORT:
        raise ScheduleRefused(
            _("La dernière tranche est le solde : elle est versée sur le rapport final."),
            lines={len(steps) - 1: _("Le solde est versé sur le rapport final.")},
        )
    return steps
