"""Portal forms: input checks and choices restricted to the acting partner. Business rules stay
in ``portal.services`` and ``standings.services`` (the forms only shape the input)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from partnerprogram.sales.models import Opportunity


class _ChoicesMixin:
    fields: dict[str, forms.Field]

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field


class ClaimForm(_ChoicesMixin, forms.Form):
    """Claim a tier in one track. ``claimable`` is ``{track: [(tier, name), ...]}``: the tracks
    whose cycle takes claims today and the tiers they offer."""

    track = forms.ChoiceField(label=_("Track"))
    tier = forms.ChoiceField(label=_("Tier"))

    def __init__(
        self,
        *args: Any,
        claimable: dict[str, tuple[str, list[tuple[str, str]]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.claimable = claimable
        self._choice("track").choices = [(key, name) for key, (name, _t) in claimable.items()]
        tiers: dict[str, str] = {}
        for _name, options in claimable.values():
            tiers.update(options)
        self._choice("tier").choices = list(tiers.items())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        track, tier = data.get("track"), data.get("tier")
        if track and tier and tier not in dict(self.claimable[track][1]):
            self.add_error("tier", _("This tier is not offered in this track."))
        return data


class AmountField(forms.DecimalField):
    """A decimal typed as people write it: ``12 000,50`` (fr) or ``12,000.50`` (en)."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u202f", "")
        return super().to_python(value)


class DealRegistrationForm(_ChoicesMixin, forms.Form):
    customer_name = forms.CharField(
        label=_("Customer name"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    product_line = forms.ChoiceField(label=_("Product line"))
    estimated_amount = AmountField(
        label=_("Estimated amount"),
        max_digits=18,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={"min_value": _("The estimated amount must be a positive amount.")},
    )
    currency = forms.ChoiceField(label=_("Currency"))
    expected_close = forms.DateField(
        label=_("Expected close"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Register it anyway: the channel team will decide"), required=False
    )

    def __init__(
        self,
        *args: Any,
        product_lines: Sequence[str],
        currencies: Sequence[str],
        on: date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.on = on
        self._choice("product_line").choices = [("", "—")] + [(p, p) for p in product_lines]
        self._choice("currency").choices = [(c, c) for c in currencies]

    def clean_customer_name(self) -> str:
        name = " ".join(str(self.cleaned_data["customer_name"]).split())
        if not name:
            raise forms.ValidationError(_("Give the customer's name."))
        return name

    def clean_expected_close(self) -> date:
        value: date = self.cleaned_data["expected_close"]
        if value < self.on:
            raise forms.ValidationError(_("The expected close date cannot be in the past."))
        return value


class InfluenceClaimForm(forms.Form):
    """Declare influence on one of the partner's opportunities, named by external id or name;
    only ``opportunities`` (the partner's, not yet declared) can be found."""

    opportunity = forms.CharField(
        label=_("Opportunity (external id or name)"),
        max_length=255,
        widget=forms.TextInput(attrs={"list": "opportunity-options", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, opportunities: QuerySet[Opportunity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opportunities = opportunities

    def clean_opportunity(self) -> Opportunity:
        text = " ".join(str(self.cleaned_data["opportunity"]).split())
        found = list(self.opportunities.filter(external_id__iexact=text)[:2])
        if not found:
            found = list(self.opportunities.filter(name__iexact=text)[:2])
        if len(found) > 1:
            raise forms.ValidationError(
                _("Several of your opportunities have this name: give the external id.")
            )
        if not found:
            raise forms.ValidationError(
                _("None of your opportunities that you have not declared yet has this id or name.")
            )
        return found[0]
