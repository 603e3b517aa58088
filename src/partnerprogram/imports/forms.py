"""The console's upload form (the file, what it holds, its shape, options)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerprogram.core.records import KINDS
from partnerprogram.imports.mappings import MAPPINGS

KIND_LABELS = {
    "partners": _("Partners"),
    "customers": _("Customers"),
    "people": _("People"),
    "certifications": _("Certifications"),
    "credentials": _("Credentials"),
    "opportunities": _("Opportunities"),
    "involvements": _("Partner involvements"),
    "deal_registrations": _("Deal registrations"),
    "bookings": _("Bookings"),
    "cloud_usage": _("Cloud usage"),
}
MAPPING_LABELS = {
    "generic": _("Generic (documented columns)"),
    "salesforce": _("Salesforce export (Data Loader)"),
    "focus": _("FOCUS 1.0 cloud billing"),
}


class ImportUploadForm(forms.Form):
    """A file to preview: ``kind``, ``mapping`` (must read the kind), ``partner`` (FOCUS: the
    cloud service provider whose report it is), ``strict`` (all or nothing)."""

    file = forms.FileField(label=_("File (CSV or XLSX)"))
    kind = forms.ChoiceField(
        label=_("It holds"), choices=[(k, KIND_LABELS.get(k, k)) for k in KINDS]
    )
    mapping = forms.ChoiceField(
        label=_("Shape"), choices=[(m, MAPPING_LABELS.get(m, m)) for m in MAPPINGS]
    )
    partner = forms.CharField(
        label=_("Partner (FOCUS report of one partner)"),
        required=False,
        max_length=64,
        help_text=_("External id; leave empty to read the partner from BillingAccountId."),
    )
    strict = forms.BooleanField(
        label=_("All or nothing: apply nothing if a row is rejected"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, mapping = data.get("kind"), data.get("mapping")
        if kind and mapping and kind not in MAPPINGS[mapping].kinds:
            self.add_error(
                "mapping",
                _("This shape does not hold %(kind)s.") % {"kind": KIND_LABELS.get(kind, kind)},
            )
        if data.get("partner") and mapping != "focus":
            self.add_error("partner", _("Only FOCUS files take a partner."))
        return data

    def defaults(self) -> dict[str, str] | None:
        """The ``defaults`` of ``file_import`` (``{"partner": ...}`` for a FOCUS report)."""
        partner = self.cleaned_data.get("partner")
        return {"partner": partner} if partner else None
