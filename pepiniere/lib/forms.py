"""Form fields shared by every app, and typed access to a bound form's fields.

Every form field that reads an amount or a date uses AmountField / DateField from here, so that the
whole platform accepts the same spellings (lib/money.py, lib/dates.py) and refuses the rest with
the same explanations."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms

from pepiniere.lib.dates import EARLIEST, LATEST, DateError, parse_date
from pepiniere.lib.money import AmountError, parse_amount


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's own copy of the ChoiceField ``name``, to set its choices in ``__init__``
    (``form.fields`` holds plain Fields as far as the type checker knows)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), f"{name} is not a ChoiceField"
    return field


def typed_amount(value: Decimal) -> str:
    """550000.00 → « 550 000 » (« 550 000,50 » with cents): what a French user would type."""
    whole, cents = divmod(value.quantize(Decimal("0.01")) * 100, 100)
    text = f"{int(whole):,}".replace(",", " ")
    return f"{text},{int(cents):02d}" if cents else text


class AmountField(forms.CharField):
    """An amount in euros as a French user types it ('40 000,50', '40000.50 €'); see
    lib.money.parse_amount for what is refused and why."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        """An amount the form starts with (an initial value or a stored Decimal) reads as a
        French user types it, « 550 000 » or « 40 000,50 », never « 550000.00 »."""
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return typed_amount(Decimal(value))
        return super().prepare_value(value)

    def clean(self, value: Any) -> Decimal | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_amount(text)
        except AmountError as error:
            raise forms.ValidationError(error.message, code="invalid") from None


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateField(forms.DateField):
    """A date typed « 29/05/2015 » or sent « 2015-05-29 » by the browser's date input, within
    a plausible range (see lib.dates.parse_date)."""

    def __init__(
        self,
        *args: Any,
        earliest: datetime.date = EARLIEST,
        latest: datetime.date = LATEST,
        not_in_future: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("widget", DATE_WIDGET)
        super().__init__(*args, **kwargs)
        self.earliest, self.latest, self.not_in_future = earliest, latest, not_in_future

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_date(
                str(value),
                earliest=self.earliest,
                latest=self.latest,
                not_in_future=self.not_in_future,
            )
        except DateError as error:
            raise forms.ValidationError(error.message, code="invalid") from None
