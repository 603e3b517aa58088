"""Forms of the simulation pages (``/console/simulation/``): a draft's YAML (typed or uploaded)
and the parameters of a simulation run (query string, so a result is bookmarkable).

Choices come from the stored drafts and versions; an unknown value is reported on the form and
never passed on. Validation of the program itself is ``programs.drafts.program_draft_save``'s job
(it lists every problem with its field path).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerprogram.console.forms import DateInput
from partnerprogram.programs.drafts import MAX_DRAFT_CHARS
from partnerprogram.programs.models import ProgramDraft, ProgramVersion

#: ``against`` values that are not a version: the standings in effect, or each partner's
#: previous program tier (``Partner.previous_tier``)
AGAINST_STANDINGS = "standings"
AGAINST_PREVIOUS = "previous"
#: the most threshold values a sensitivity curve computes (each is a full re-qualification)
MAX_SENSITIVITY_POINTS = 25
#: assessment dates the pages accept (as the CLI's ``--as-of``): beyond, the period arithmetic
#: overflows (9999-12-31) or means nothing (1800)
ON_MIN = date(1900, 1, 1)
ON_MAX = date(2199, 12, 31)


def _clean_on(form: forms.Form) -> date | None:
    value: date | None = form.cleaned_data.get("on")
    if value is not None and not (ON_MIN <= value <= ON_MAX):
        raise forms.ValidationError(
            _("Give a date between %(min)s and %(max)s.")
            % {"min": ON_MIN.isoformat(), "max": ON_MAX.isoformat()}
        )
    return value


class DraftForm(forms.Form):
    """A draft's name and YAML text, or an uploaded ``.yaml`` file (which wins over the text;
    its name, without the extension, is the default draft name)."""

    name = forms.CharField(label=_("Draft name"), max_length=120, required=False)
    yaml_text = forms.CharField(
        label=_("Program (YAML)"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 32,
                "spellcheck": "false",
                "autocomplete": "off",
                "style": "width:100%; font-family: ui-monospace, Menlo, Consolas, monospace; "
                "font-size: .85rem; tab-size: 2",
            }
        ),
    )
    upload = forms.FileField(
        label=_("Or upload a YAML file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,text/yaml"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        if upload:
            if upload.size > MAX_DRAFT_CHARS * 4:
                self.add_error("upload", _("This file is too large for a program."))
                return data
            try:
                data["yaml_text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("upload", _("This file is not UTF-8 text."))
                return data
            if not data.get("name"):
                stem = upload.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
                data["name"] = stem[:120]
        if not (data.get("yaml_text") or "").strip() and not self.errors:
            self.add_error("yaml_text", _("Type the program or upload a file."))
        return data


def against_choices(versions: list[ProgramVersion]) -> list[tuple[str, Any]]:
    """``standings``, ``previous`` and ``version:<pk>`` for each published version."""
    choices: list[tuple[str, Any]] = [
        (AGAINST_STANDINGS, _("Current standings")),
        (AGAINST_PREVIOUS, _("Previous program tiers")),
    ]
    choices += [
        (
            f"version:{v.pk}",
            _("Version %(version)s (from %(start)s)")
            % {"version": v.version, "start": v.effective_from.isoformat()},
        )
        for v in versions
    ]
    return choices


class RunForm(forms.Form):
    """``?draft=&against=&on=`` and an optional sensitivity curve
    ``&path=&start=&stop=&step=`` (a numeric threshold of the draft and its range);
    ``from_tier``/``to_tier`` filter the movers list."""

    draft = forms.TypedChoiceField(label=_("Draft"), coerce=int, choices=())
    against = forms.ChoiceField(label=_("Compare against"), choices=())
    on = forms.DateField(label=_("As of"), widget=DateInput())
    path = forms.ChoiceField(label=_("Threshold to vary"), required=False, choices=())
    start = forms.DecimalField(label=_("From"), required=False, max_digits=18, decimal_places=4)
    stop = forms.DecimalField(label=_("To"), required=False, max_digits=18, decimal_places=4)
    step = forms.DecimalField(label=_("Step"), required=False, max_digits=18, decimal_places=4)

    def __init__(
        self,
        *args: Any,
        drafts: list[ProgramDraft],
        versions: list[ProgramVersion],
        paths: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.versions = versions
        _set_choices(self, "draft", [(d.pk, f"{d.name} ({d.program.key})") for d in drafts])
        _set_choices(self, "against", against_choices(versions))
        _set_choices(self, "path", [("", _("No curve")), *(paths or [])])

    def clean_on(self) -> date | None:
        return _clean_on(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("path"):
            start, stop, step = data.get("start"), data.get("stop"), data.get("step")
            if start is None or stop is None or step is None or step <= 0:
                self.add_error("step", _("Give the range: from, to and a step above zero."))
            elif stop < start:
                self.add_error("stop", _("The end of the range is before its start."))
            elif (stop - start) / step + 1 > MAX_SENSITIVITY_POINTS:
                self.add_error(
                    "step",
                    _("At most %(n)d values: take a larger step.") % {"n": MAX_SENSITIVITY_POINTS},
                )
        return data

    def against_value(self) -> ProgramVersion | str:
        """``standings``, ``previous`` or the chosen version. Call after ``is_valid()``."""
        value: str = self.cleaned_data["against"]
        if value.startswith("version:"):
            pk = int(value.removeprefix("version:"))
            return next(v for v in self.versions if v.pk == pk)
        return value

    def sensitivity(self) -> tuple[str, list[Decimal]] | None:
        """``(path, values)`` of the curve (``start`` to ``stop`` by ``step``), or ``None``.
        Call after ``is_valid()``."""
        data = self.cleaned_data
        if not data.get("path"):
            return None
        count = int((data["stop"] - data["start"]) / data["step"]) + 1
        return data["path"], [data["start"] + data["step"] * i for i in range(count)]


class CalibrateForm(forms.Form):
    """``?draft=&baseline=&on=&targets=&free=&direction=``: search the draft's thresholds for
    the smallest change meeting the targets (``programs.calibrate``; grammar in
    ``TARGET_GRAMMAR``). Targets and free thresholds are one per line."""

    draft = forms.TypedChoiceField(label=_("Draft"), coerce=int, choices=())
    baseline = forms.ChoiceField(label=_("Compare with"), choices=())
    on = forms.DateField(label=_("As of"), widget=DateInput())
    targets = forms.CharField(
        label=_("Targets (one per line)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40, "spellcheck": "false"}),
    )
    free = forms.CharField(
        label=_("Thresholds the search may move (one per line; empty: all)"),
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "spellcheck": "false"}),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            ("relax", _("Relax only")),
            ("tighten", _("Tighten only")),
            ("both", _("Both ways")),
        ],
        initial="relax",
    )

    def __init__(
        self,
        *args: Any,
        drafts: list[ProgramDraft],
        versions: list[ProgramVersion],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "draft", [(d.pk, f"{d.name} ({d.program.key})") for d in drafts])
        _set_choices(
            self,
            "baseline",
            [
                (AGAINST_PREVIOUS, _("Previous program tiers")),
                (AGAINST_STANDINGS, _("Current standings")),
                *((v.version, _("Version %(version)s") % {"version": v.version}) for v in versions),
            ],
        )

    def clean_on(self) -> date | None:
        return _clean_on(self)

    def lines(self, name: str) -> list[str]:
        """The non-empty lines of ``targets`` or ``free``. Call after ``is_valid()``."""
        return [
            line.strip() for line in self.cleaned_data.get(name, "").splitlines() if line.strip()
        ]


def _set_choices(form: forms.Form, name: str, choices: list[tuple[Any, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices
