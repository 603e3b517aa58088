"""Console forms: list filters (GET) and staff actions (POST). Choices are built from the
program in force and the data (tiers, tracks, countries), so only known values pass; an
unknown filter value is reported and ignored, never passed to a query."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerprogram.console.labels import (
    CLAIM_STATUS,
    PARTNER_STATUS,
)
from partnerprogram.console.programs import ProgramView
from partnerprogram.console.selectors.approvals import KINDS, STATES, ApprovalFilters
from partnerprogram.console.selectors.claims import ClaimFilters
from partnerprogram.console.selectors.directory import NO_TIER, DirectoryFilters

ANY = ("", pgettext_lazy("filter", "Any"))
YES_NO = [ANY, ("yes", _("Yes")), ("no", _("No"))]
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AsOfForm(forms.Form):
    """``?on=YYYY-MM-DD``: the date the console shows (default: today)."""

    on = forms.DateField(label=_("As of"), required=False, widget=DateInput())

    def as_of(self, today: date) -> date:
        if self.is_valid() and self.cleaned_data.get("on"):
            return self.cleaned_data["on"]
        return today


def _tier_choices(program: ProgramView | None, *, none: bool) -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [ANY]
    if program is not None:
        choices += list(program.tier_labels.items())
    if none:
        choices.append((NO_TIER, _("No tier")))
    return choices


def _track_choices(program: ProgramView | None) -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [ANY]
    if program is not None:
        choices += list(program.track_labels.items())
    return choices


class _FilterForm(forms.Form):
    def value(self, name: str) -> str:
        """The cleaned value of ``name``, blank when invalid (the error is shown)."""
        if not self.is_bound:
            return str(self.initial.get(name, self.fields[name].initial or ""))
        self.is_valid()
        return str(self.cleaned_data.get(name) or "")


class DirectoryFilterForm(_FilterForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, external id or city")}
        ),
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    track = forms.ChoiceField(label=_("Track"), required=False)
    status = forms.ChoiceField(
        label=_("Partner status"), required=False, choices=[ANY, *PARTNER_STATUS.items()]
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    at_risk = forms.ChoiceField(label=_("Claim at risk"), required=False, choices=YES_NO)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name (A to Z)")),
            ("-name", _("Name (Z to A)")),
            ("-tier", _("Tier (highest first)")),
            ("tier", _("Tier (lowest first)")),
            ("city", _("City (A to Z)")),
            ("-city", _("City (Z to A)")),
        ],
    )
    per_page = forms.TypedChoiceField(
        label=_("Per page"),
        required=False,
        coerce=int,
        choices=[(str(n), str(n)) for n in PAGE_SIZES],
        empty_value=None,
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        program: ProgramView | None,
        countries: list[str],
        **kwargs: Any,
    ) -> None:
        if data is not None and not data.get("per_page"):
            data = data.copy()
            data["per_page"] = str(DEFAULT_PAGE_SIZE)  # the select shows the size in use
        super().__init__(data, **kwargs)
        self.fields["tier"].choices = _tier_choices(program, none=True)  # type: ignore[attr-defined]
        self.fields["track"].choices = _track_choices(program)  # type: ignore[attr-defined]
        self.fields["country"].choices = [ANY, *((c, c) for c in countries)]  # type: ignore[attr-defined]

    def filters(self) -> DirectoryFilters:
        return DirectoryFilters(
            q=self.value("q"),
            tier=self.value("tier"),
            track=self.value("track"),
            status=self.value("status"),
            country=self.value("country"),
            at_risk=self.value("at_risk"),
            sort=self.value("sort") or "name",
        )

    def page_size(self) -> int:
        if self.is_bound and self.is_valid():
            return int(self.cleaned_data.get("per_page") or DEFAULT_PAGE_SIZE)
        return DEFAULT_PAGE_SIZE


class ClaimFilterForm(_FilterForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Partner or filer")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[ANY, *CLAIM_STATUS.items()]
    )
    track = forms.ChoiceField(label=_("Track"), required=False)
    tier = forms.ChoiceField(label=_("Claimed tier"), required=False)
    at_risk = forms.ChoiceField(label=_("At risk"), required=False, choices=YES_NO)

    def __init__(self, *args: Any, program: ProgramView | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["track"].choices = _track_choices(program)  # type: ignore[attr-defined]
        self.fields["tier"].choices = _tier_choices(program, none=False)  # type: ignore[attr-defined]

    def filters(self) -> ClaimFilters:
        return ClaimFilters(
            status=self.value("status"),
            track=self.value("track"),
            tier=self.value("tier"),
            at_risk=self.value("at_risk"),
            q=self.value("q"),
        )


class ApprovalFilterForm(_FilterForm):
    kind = forms.ChoiceField(
        label=_("What"),
        required=False,
        choices=[("registrations", _("Deal registrations")), ("influence", _("Influence claims"))],
        widget=forms.HiddenInput,
    )
    state = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("pending", _("Waiting for a decision")), ("decided", _("Decided"))],
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Partner, customer or reference")}
        ),
    )
    partner = forms.CharField(label=_("Partner id"), required=False, max_length=64)

    def filters(self) -> ApprovalFilters:
        kind = self.value("kind")
        state = self.value("state")
        return ApprovalFilters(
            kind=kind if kind in KINDS else "registrations",
            state=state if state in STATES else "pending",
            q=self.value("q"),
            partner=self.value("partner").strip(),
        )


class DecisionForm(forms.Form):
    """Approve or reject, with a reason (required to reject: the partner reads it)."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason to reject: the partner will read it."))
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data.get("decision") == "approve"


class OverrideForm(forms.Form):
    """An override of a partner's standing in one track (``standings.services.override_grant``):
    ``until`` is the last day it applies (inclusive); the service gets ``ends_on`` = until + 1."""

    track = forms.ChoiceField(label=_("Track"))
    tier = forms.ChoiceField(label=_("Tier"))
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    approver = forms.CharField(
        label=_("Approved by"),
        max_length=150,
        help_text=_("Who approved this exception (name or user)."),
    )
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    until = forms.DateField(
        label=_("Until (last day)"),
        widget=DateInput(),
        help_text=_("The override ends by itself after this day."),
    )

    def __init__(
        self, *args: Any, program: ProgramView | None, tracks: tuple[str, ...], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        labels = program.track_labels if program is not None else {}
        self.fields["track"].choices = [  # type: ignore[attr-defined]
            (t, labels.get(t, t)) for t in tracks if not labels or t in labels
        ]
        self.fields["tier"].choices = (  # type: ignore[attr-defined]
            list(program.tier_labels.items()) if program is not None else []
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, until = data.get("starts_on"), data.get("until")
        if start and until and until < start:
            self.add_error("until", _("The last day cannot be before the first day."))
        return data

    @property
    def ends_on(self) -> date:
        """The exclusive end the service expects."""
        return self.cleaned_data["until"] + timedelta(days=1)
