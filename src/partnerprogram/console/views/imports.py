"""File imports in the console: upload -> dry-run preview -> confirm -> result; the history
of imports; re-importable data exports. Vendor staff only (program admins and channel
managers); writes go through ``imports.services.file_import``.

The confirmation applies the file that was previewed, never another: the upload is stored
under its SHA-256 (``imports.uploads``) and the preview's ``ImportRun`` names that hash;
``file_import`` checks it again before reading. A preview older than a day
(``PREVIEW_MAX_AGE``) is not applied: the file must be uploaded again.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from partnerprogram.accounts.access import vendor_staff_required
from partnerprogram.console.views.common import actor, paginate
from partnerprogram.core.exports import export_format, export_response
from partnerprogram.core.records import KINDS
from partnerprogram.imports.exports import fact_rows_export
from partnerprogram.imports.forms import KIND_LABELS, MAPPING_LABELS, ImportUploadForm
from partnerprogram.imports.models import ImportRun
from partnerprogram.imports.selectors import (
    ERROR_EXPORT_COLUMNS,
    RUN_EXPORT_COLUMNS,
    import_error_export_rows,
    import_run_errors,
    import_run_export_rows,
    import_run_get,
    import_runs_list,
)
from partnerprogram.imports.services import ImportRefused, file_import
from partnerprogram.imports.uploads import upload_path, upload_store

PER_PAGE = 25
#: a preview older than this is not applied: the file must be uploaded and previewed again
PREVIEW_MAX_AGE = timedelta(days=1)
#: errors and ids shown on a run's page (every error is in its CSV/XLSX export)
SHOWN = 50


def _run_url(pk: int) -> str:
    return f"{reverse('console:imports')}?run={pk}"


def _preview_expired(run: ImportRun) -> bool:
    """True when the preview ``run`` was made more than a day ago (docs/imports.md): the
    data it checked against may have changed since."""
    return timezone.now() - run.started_at > PREVIEW_MAX_AGE


@vendor_staff_required  # type: ignore[arg-type]  # an export is a streaming response
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponseBase:
    """The imports page, one URL (``/console/imports/``):

    - GET: the upload form, the history (``?format=csv|xlsx`` downloads it) and the
      re-importable data downloads; ``?run=N``: one import (``&format=`` downloads its
      rejected rows); ``?data=KIND&format=csv|xlsx``: every fact of KIND in import columns.
    - POST with a file: store it, dry-run it, redirect to its preview (``?run=N``);
      POST ``run=N`` (a preview): apply the previewed file.
    """
    if request.method == "POST":
        if "run" in request.POST and not request.FILES:
            return _apply(request)
        return _upload(request)
    if "run" in request.GET:
        return _run_page(request)
    if "data" in request.GET:
        return _data_export(request)
    return _page(request, form=ImportUploadForm(), refused=None)


def _upload(request: HttpRequest) -> HttpResponseBase:
    """Store the upload, run a dry run, redirect to its preview; a file refused as a whole is
    shown with its reason (400)."""
    refused = None
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            sha256, stored = upload_store(upload)
            try:
                report = file_import(
                    kind=form.cleaned_data["kind"],
                    path=stored,
                    name=upload.name,
                    mapping=form.cleaned_data["mapping"],
                    dry_run=True,
                    strict=form.cleaned_data["strict"],
                    actor=actor(request),
                    defaults=form.defaults(),
                    expected_sha256=sha256,
                )
            except ImportRefused as exc:
                refused = exc.reason
            else:
                assert report.run_id is not None
                return redirect(_run_url(report.run_id))
    return _page(request, form=form, refused=refused)


def _page(request: HttpRequest, *, form: ImportUploadForm, refused: str | None) -> HttpResponseBase:
    runs = import_runs_list()
    fmt = export_format(request.GET.get("format"))
    if fmt is not None and request.method == "GET":
        return export_response(
            import_run_export_rows(runs), RUN_EXPORT_COLUMNS, filename="imports", fmt=fmt
        )
    context = {
        "form": form,
        "refused": refused,
        "page": paginate(request, runs, PER_PAGE),
        "kinds": [(kind, KIND_LABELS.get(kind, kind)) for kind in KINDS],
        "mapping_labels": MAPPING_LABELS,
    }
    return render(request, "console/imports/imports.html", context, status=400 if refused else 200)


def _run_page(request: HttpRequest) -> HttpResponseBase:
    """One import (``?run=``): counts, how the file was read, the first rejected rows and ids;
    a dry run can be confirmed. ``&format=csv|xlsx`` downloads every rejected row."""
    try:
        pk = int(request.GET.get("run", ""))
    except ValueError:
        raise Http404 from None
    run = import_run_get(pk=pk)
    if run is None:
        raise Http404
    fmt = export_format(request.GET.get("format"))
    if fmt is not None:
        return export_response(
            import_error_export_rows(run),
            ERROR_EXPORT_COLUMNS,
            filename=f"import-{run.pk}-rejected",
            fmt=fmt,
        )
    report = run.report if isinstance(run.report, dict) else {}
    errors = import_run_errors(run)
    context = {
        "run": run,
        "report": report,
        "kind_label": KIND_LABELS.get(run.kind, run.kind),
        "mapping_label": MAPPING_LABELS.get(run.mapping, run.mapping),
        "errors": errors[:SHOWN],
        "errors_total": len(errors),
        "created_ids": list(report.get("created_ids", []))[:SHOWN],
        "updated_ids": list(report.get("updated_ids", []))[:SHOWN],
        # a strict preview with rejected rows would apply nothing: not offered
        "can_apply": run.dry_run
        and not (run.strict and run.rejected)
        and not _preview_expired(run)
        and upload_path(run.sha256) is not None,
        "preview_expired": run.dry_run and _preview_expired(run),
        "shown": SHOWN,
    }
    return render(request, "console/imports/run.html", context)


def _apply(request: HttpRequest) -> HttpResponseBase:
    """Apply the file a dry run previewed (POST ``run``): same bytes (SHA-256 checked), same
    kind, mapping and options; then show the result."""
    try:
        pk = int(request.POST.get("run", ""))
    except ValueError:
        raise Http404 from None
    preview = import_run_get(pk=pk)
    if preview is None or not preview.dry_run:
        raise Http404
    if _preview_expired(preview):
        messages.error(
            request,
            _(
                "This preview is more than a day old: upload the file again to preview it "
                "against the current data before applying it."
            ),
        )
        return redirect(_run_url(preview.pk))
    stored = upload_path(preview.sha256)
    if stored is None:
        messages.error(request, _("The previewed file is no longer kept: upload it again."))
        return redirect(reverse("console:imports"))
    options = preview.report.get("options") if isinstance(preview.report, dict) else None
    try:
        report = file_import(
            kind=preview.kind,
            path=stored,
            name=preview.file_name,
            mapping=preview.mapping,
            strict=preview.strict,
            actor=actor(request),
            defaults=options or None,
            expected_sha256=preview.sha256,
        )
    except ImportRefused as exc:
        messages.error(request, exc.reason)
        return redirect(_run_url(preview.pk))
    assert report.run_id is not None
    if report.applied:
        messages.success(request, _("Import applied."))
    else:
        messages.error(request, _("Rows were rejected: nothing was applied (all or nothing)."))
    return redirect(_run_url(report.run_id))


def _data_export(request: HttpRequest) -> HttpResponseBase:
    """Every fact of ``?data=KIND`` in the generic import columns (``&format=csv|xlsx``,
    default CSV): a file the import page reads back to the same data."""
    kind = request.GET.get("data", "")
    if kind not in KINDS:
        raise Http404
    fmt = export_format(request.GET.get("format")) or "csv"
    header, rows = fact_rows_export(kind=kind)
    return export_response(rows, header, filename=f"{kind}-data", fmt=fmt)
