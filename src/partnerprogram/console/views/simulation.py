"""What-if simulation pages (``/console/simulation/``): program drafts and their simulation.

Access: vendor staff only (``vendor_staff_required``). A **program admin** writes drafts (save,
upload, delete) and runs simulations; a **channel manager** reads drafts and runs simulations
(read-only: a simulation writes nothing), and gets 403 on every write. Partner members get 403
everywhere.

Ids travel in the query string (``?draft=12``, ``?from=3``) rather than in the path, so that
results are bookmarkable with their parameters; an unknown id is a 404. Nothing here publishes a
version: publishing stays ``partnerprogram program load FILE``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partnerprogram.accounts.access import vendor_staff_required
from partnerprogram.accounts.rules import is_program_admin
from partnerprogram.console.forms_simulation import (
    AGAINST_PREVIOUS,
    AGAINST_STANDINGS,
    CalibrateForm,
    DraftForm,
    RunForm,
)
from partnerprogram.console.selectors.simulation import (
    calibration_compute,
    calibration_export,
    movers_filter,
    simulation_compute,
    simulation_draft_get,
    simulation_drafts,
    simulation_export,
    simulation_version_get,
    simulation_versions,
    threshold_paths,
)
from partnerprogram.console.views.common import actor
from partnerprogram.core.exports import export_format, export_response
from partnerprogram.core.money import MissingRateError
from partnerprogram.programs.calibrate import TARGET_GRAMMAR, CalibrationError
from partnerprogram.programs.drafts import (
    program_draft_delete,
    program_draft_parse,
    program_draft_save,
    program_draft_text_of,
)
from partnerprogram.programs.models import ProgramDraft, ProgramVersion
from partnerprogram.programs.schema import Program, ProgramError
from partnerprogram.programs.selectors import ProgramVersionNotFound, program_version_get
from partnerprogram.programs.simulate import SimulationError

#: movers shown per page (the export holds them all)
MOVERS_PER_PAGE = 50


def can_edit(request: HttpRequest) -> bool:
    """Only program admins write drafts."""
    return bool(is_program_admin(request.user))


def _require_editor(request: HttpRequest) -> None:
    if not can_edit(request):
        raise PermissionDenied


def _draft_or_404(pk: str | None) -> ProgramDraft:
    found = simulation_draft_get(pk=pk)
    if found is None:
        raise Http404(_("No draft with this id."))
    return found


def _draft_url(draft: ProgramDraft) -> str:
    return f"{reverse('console:simulation_draft')}?draft={draft.pk}"


@vendor_staff_required
@require_GET
def simulation(request: HttpRequest) -> HttpResponse:
    """Drafts (name, program, version in the YAML, based on, last edit), published versions to
    start a draft from, and the upload form."""
    context = {
        "drafts": simulation_drafts(),
        "versions": simulation_versions(),
        "upload_form": DraftForm(),
        "can_edit": can_edit(request),
    }
    return render(request, "console/simulation/drafts.html", context)


@vendor_staff_required
@require_http_methods(["GET", "POST"])
def simulation_draft(request: HttpRequest) -> HttpResponse:
    """GET ``?draft=ID``: a draft's YAML (editable by program admins, read-only otherwise);
    ``?from=VERSION_ID``: a new draft pre-filled from a published version; neither: an empty
    new draft. ``?download=yaml`` downloads the draft's text.

    POST (program admins): save (``name``, ``yaml_text`` or ``upload``; ``draft`` to update,
    ``based_on`` for a new draft from a version) or ``action=delete``. Every problem of the
    YAML is listed with its field path (the line for a syntax error) and nothing is stored.
    """
    if request.method == "POST":
        return _draft_post(request)
    draft = _draft_or_404(request.GET["draft"]) if request.GET.get("draft") else None
    based_on = None
    if draft is not None:
        if request.GET.get("download") == "yaml":
            response = HttpResponse(draft.yaml, content_type="application/yaml; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="draft-{draft.pk}.yaml"'
            return response
        form = DraftForm(initial={"name": draft.name, "yaml_text": draft.yaml})
        based_on = draft.based_on
    elif request.GET.get("from"):
        based_on = simulation_version_get(pk=request.GET["from"])
        if based_on is None:
            raise Http404(_("No published version with this id."))
        form = DraftForm(
            initial={
                "name": _("%(program)s %(version)s draft")
                % {"program": based_on.program.key, "version": based_on.version},
                "yaml_text": program_draft_text_of(based_on),
            }
        )
    else:
        form = DraftForm()
    return _draft_page(request, form=form, draft=draft, based_on=based_on)


def _draft_page(
    request: HttpRequest,
    *,
    form: DraftForm,
    draft: ProgramDraft | None,
    based_on: object,
    problems: list[tuple[str, str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "draft": draft,
        "based_on": based_on,
        "problems": problems or [],
        "can_edit": can_edit(request),
    }
    return render(request, "console/simulation/draft.html", context, status=status)


def _draft_post(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    draft = _draft_or_404(request.POST["draft"]) if request.POST.get("draft") else None
    if request.POST.get("action") == "delete":
        if draft is None:
            raise Http404(_("No draft with this id."))
        name = draft.name
        program_draft_delete(draft=draft, actor=actor(request))
        messages.success(request, _("Draft “%(name)s” deleted.") % {"name": name})
        return redirect("console:simulation")
    based_on = draft.based_on if draft is not None else None
    if draft is None and request.POST.get("based_on"):
        based_on = simulation_version_get(pk=request.POST["based_on"])
        if based_on is None:
            raise Http404(_("No published version with this id."))
    form = DraftForm(request.POST, request.FILES)
    if not form.is_valid():
        return _draft_page(request, form=form, draft=draft, based_on=based_on, status=400)
    try:
        saved = program_draft_save(
            name=form.cleaned_data["name"],
            yaml_text=form.cleaned_data["yaml_text"],
            actor=actor(request),
            draft=draft,
            based_on=based_on if draft is None else None,
        )
    except ProgramError as exc:
        if form.cleaned_data.get("upload"):
            # show what was uploaded, so it can be corrected here
            data = request.POST.copy()
            data["yaml_text"] = form.cleaned_data["yaml_text"]
            data["name"] = form.cleaned_data["name"]
            form = DraftForm(data)
            form.is_valid()
        return _draft_page(
            request, form=form, draft=draft, based_on=based_on, problems=exc.errors, status=400
        )
    messages.success(
        request,
        _("Draft “%(name)s” saved. It is not published: run a simulation to see its effect.")
        % {"name": saved.name},
    )
    return redirect(_draft_url(saved))


def _run_on(data: QueryDict) -> date:
    """The ``on`` date of the query string, today (program time zone) when absent or bad (the
    form then reports a bad one)."""
    try:
        return date.fromisoformat(data.get("on") or "")
    except ValueError:
        return timezone.localdate()


def _in_force(draft: ProgramDraft, on: date) -> ProgramVersion | None:
    """The published version of the draft's program in force on ``on`` (what the command line
    compares with without ``--against``), None when there is none."""
    try:
        return program_version_get(program=draft.program.key, on=on)
    except ProgramVersionNotFound:
        return None


def _run_data(request: HttpRequest, draft: ProgramDraft) -> QueryDict:
    """The query string with defaults, as ``partnerprogram simulate`` without ``--against``:
    against the version of the draft's program in force on the date (else the standings), as
    of today. The version the draft is based on is offered next to it on the page, not
    preselected: comparing a fresh copy with its own source shows no difference."""
    data = request.GET.copy()
    if not data.get("against"):
        in_force = _in_force(draft, _run_on(data))
        data["against"] = f"version:{in_force.pk}" if in_force else AGAINST_STANDINGS
    if not data.get("on"):
        data["on"] = timezone.localdate().isoformat()
    return data


@vendor_staff_required  # type: ignore[arg-type]  # an export is a streaming response
@require_GET
def simulation_run(request: HttpRequest) -> HttpResponseBase:
    """Without ``?draft=``: the form. With it: the draft simulated against ``against``
    (``version:<id>``, ``standings``, ``previous``) as of ``on``, computed on the fly (nothing
    stored; the URL is the bookmark): distribution overall and per track, transition matrix,
    binding requirements, movers (``from_tier``/``to_tier`` filter them, ``page``), benefit
    cost, and the sensitivity curve of ``path`` over ``start``..``stop`` by ``step``.
    ``?export=<table>&format=csv|xlsx`` downloads one table (``EXPORTS``)."""
    drafts = [row.draft for row in simulation_drafts()]
    versions = simulation_versions()
    context: dict[str, Any] = {"can_edit": can_edit(request), "result": None}
    if not request.GET.get("draft"):
        context["form"] = RunForm(drafts=drafts, versions=versions)
        return render(request, "console/simulation/run.html", context)
    draft = _draft_or_404(request.GET["draft"])
    context["draft"] = draft
    own = [v for v in versions if v.program_id == draft.program_id]
    try:
        program = program_draft_parse(draft)
    except ProgramError as exc:
        context["problems"] = exc.errors
        context["form"] = RunForm(drafts=drafts, versions=own, initial={"draft": draft.pk})
        return render(request, "console/simulation/run.html", context, status=400)
    data = _run_data(request, draft)
    on = _run_on(data)
    in_force = _in_force(draft, on)
    based_on = next((v for v in own if v.pk == draft.based_on_id), None)
    context.update(
        {
            "in_force": in_force,
            "in_force_on": on,
            # the draft's source, offered when it is not the version in force
            "based_on": based_on if based_on is not None and based_on != in_force else None,
            "based_on_query": _query_with(data, against=f"version:{based_on.pk}")
            if based_on is not None
            else "",
            "in_force_query": _query_with(data, against=f"version:{in_force.pk}")
            if in_force is not None
            else "",
            "against_key": data.get("against"),
            "based_on_key": f"version:{based_on.pk}" if based_on is not None else "",
        }
    )
    form = RunForm(
        data,
        drafts=drafts,
        versions=own,
        paths=threshold_paths(program),
    )
    context["form"] = form
    if not form.is_valid():
        return render(request, "console/simulation/run.html", context, status=400)
    try:
        page = simulation_compute(
            draft=draft,
            against=form.against_value(),  # type: ignore[arg-type]
            on=form.cleaned_data["on"],
            sensitivity=form.sensitivity(),
        )
    except (SimulationError, MissingRateError, ProgramError) as exc:
        context["error"] = str(exc)
        return render(request, "console/simulation/run.html", context, status=400)
    # an unknown tier filters nothing (never an empty list that looks like a result)
    from_tier = request.GET.get("from_tier") if request.GET.get("from_tier") in page.tiers else None
    to_tier = request.GET.get("to_tier") if request.GET.get("to_tier") in page.tiers else None
    movers = movers_filter(page.movers, from_tier=from_tier, to_tier=to_tier)
    fmt = export_format(request.GET.get("format"))
    if fmt is not None:
        table = request.GET.get("export") or ""
        found = simulation_export(page, table=table, movers=movers)
        if found is None:
            raise Http404(_("No such table to download."))
        header, rows = found
        return export_response(
            rows,
            header,
            # dots out of the name: the export helper takes what follows the last dot for an
            # extension and replaces it ("2026.1-vs-..." became "2026.csv" for every table)
            filename=f"simulation-{draft.program.key}-{page.after}-vs-{page.before}-"
            f"{form.cleaned_data['on'].isoformat()}-{table}".replace(".", "_"),
            fmt=fmt,
        )
    context.update(
        {
            "page": page,
            "result": page.result,
            "movers_page": Paginator(movers, MOVERS_PER_PAGE).get_page(request.GET.get("page")),
            "movers_count": len(movers),
            "from_tier": from_tier,
            "to_tier": to_tier,
            "against_label": _against_label(form.against_value()),
            "after_name": _("draft “%(name)s”") % {"name": draft.name},
        }
    )
    return render(request, "console/simulation/run.html", context)


def _query_with(data: QueryDict, **values: str) -> str:
    """``data`` as a query string with ``values`` replaced (the movers' page dropped)."""
    query = data.copy()
    for key, value in values.items():
        query[key] = value
    query.pop("page", None)
    return query.urlencode()


def _against_label(against: ProgramVersion | str) -> str:
    if isinstance(against, ProgramVersion):
        return _("version %(version)s") % {"version": against.version}
    if against == AGAINST_PREVIOUS:
        return _("the previous program's tiers")
    return _("the current standings")


def _calibration_message(message: str) -> str:
    """``Calibration.message`` in the active language, without command-line advice."""
    known = {
        "the draft already meets every target": _("The draft already meets every target."),
        "the draft meets every target, but a target concerns no partner (see warnings)": _(
            "The draft meets every target, but a target concerns no partner."
        ),
        "no combination of the free thresholds within their bounds meets the targets": _(
            "No combination of the thresholds the search may move, within their bounds, meets "
            "the targets."
        ),
    }
    if message.startswith("the greedy search found no change"):
        return str(
            _(
                "The search (a heuristic) found no change that meets the targets: list fewer "
                "thresholds to move for an exact search, or widen their bounds."
            )
        )
    return str(known.get(message, message))


def _calibrate_data(request: HttpRequest, draft: ProgramDraft, program: Program) -> QueryDict:
    """The query string with defaults: baseline ``previous``, as of the draft's claim deadline
    (else today), relax only."""
    data = request.GET.copy()
    data.setdefault("baseline", AGAINST_PREVIOUS)
    if not data.get("on"):
        deadline = program.cycle.claim_deadline if program.cycle is not None else None
        data["on"] = (deadline or timezone.localdate()).isoformat()
    data.setdefault("direction", "relax")
    return data


@vendor_staff_required  # type: ignore[arg-type]  # an export is a streaming response
@require_GET
def simulation_calibrate(request: HttpRequest) -> HttpResponseBase:
    """Without ``?targets=``: the form (``?draft=`` pre-selects a draft). With them: the
    smallest change of the draft's thresholds meeting the targets, with the targets before and
    after, the partners whose tier changes and the YAML diff; ``?download=yaml`` gives the
    calibrated text, ``?export=changes|targets|partners&format=csv|xlsx`` a table. A program
    admin may save the calibrated text as a new draft (a POST to the draft page). Reads only."""
    drafts = [row.draft for row in simulation_drafts()]
    versions = simulation_versions()
    forms = TARGET_GRAMMAR.split(" — ")[0]  # the syntax itself is not translated
    context: dict[str, Any] = {
        "can_edit": can_edit(request),
        "grammar": _("%(forms)s — each optionally followed by @TRACK") % {"forms": forms},
    }
    draft = _draft_or_404(request.GET["draft"]) if request.GET.get("draft") else None
    context["draft"] = draft
    if draft is None:
        context["form"] = CalibrateForm(drafts=drafts, versions=versions)
        return render(request, "console/simulation/calibrate.html", context)
    own = [v for v in versions if v.program_id == draft.program_id]
    try:
        program = program_draft_parse(draft)
    except ProgramError as exc:
        context["problems"] = exc.errors
        context["form"] = CalibrateForm(drafts=drafts, versions=own, initial={"draft": draft.pk})
        return render(request, "console/simulation/calibrate.html", context, status=400)
    context["thresholds"] = threshold_paths(program)
    if not request.GET.get("targets"):
        context["form"] = CalibrateForm(
            drafts=drafts, versions=own, initial=_calibrate_data(request, draft, program).dict()
        )
        return render(request, "console/simulation/calibrate.html", context)
    form = CalibrateForm(_calibrate_data(request, draft, program), drafts=drafts, versions=own)
    context["form"] = form
    if not form.is_valid():
        return render(request, "console/simulation/calibrate.html", context, status=400)
    try:
        page = calibration_compute(
            draft=draft,
            baseline=form.cleaned_data["baseline"],
            on=form.cleaned_data["on"],
            targets=form.lines("targets"),
            free=form.lines("free"),
            direction=form.cleaned_data["direction"],
        )
    except CalibrationError as exc:
        context["error"] = exc.plain  # the console's words, not the command's options
        return render(request, "console/simulation/calibrate.html", context, status=400)
    except (MissingRateError, ProgramError) as exc:
        context["error"] = str(exc)
        return render(request, "console/simulation/calibrate.html", context, status=400)
    result = page.calibration
    if request.GET.get("download") == "yaml" and result.calibrated_text:
        response = HttpResponse(
            result.calibrated_text, content_type="application/yaml; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="calibrated-{draft.pk}.yaml"'
        return response
    fmt = export_format(request.GET.get("format"))
    if fmt is not None:
        table = request.GET.get("export") or ""
        found = calibration_export(page, table=table)
        if found is None:
            raise Http404(_("No such table to download."))
        header, rows = found
        return export_response(
            rows,
            header,
            filename=f"calibration-{draft.program.key}-{draft.pk}-{table}",
            fmt=fmt,
        )
    context.update(
        {
            "page": page,
            "result": result,
            "message": _calibration_message(result.message),
            "warnings": [
                _("Target “%(target)s” concerns no partner: it is met only because it is empty.")
                % {"target": t.target}
                for t in result.targets
                if t.concerns_no_partner
            ],
            "new_name": (_("%(name)s calibrated") % {"name": draft.name})[:120],
        }
    )
    return render(request, "console/simulation/calibrate.html", context)
