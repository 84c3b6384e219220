"""Evidence doors: photos (scoped, inert), the CSV export download, and the
public half of the evidence signing key."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from .. import signing
from ..filters import FilterError, parse_report_filters
from ..models import Attachment, ExportRecord
from ..permissions import may_export, report_scope
from ..selectors import submissions_visible_to
from ..services.exports import reports_export
from .token_auth import accepts_api_token


@accepts_api_token
@login_required
@require_GET
def photo(request, pk):
    """Photos are evidence and can endanger observers: only people who may see the
    report get them, as an inert download-safe image."""
    attachment = Attachment.objects.select_related("report").filter(pk=pk).first()
    scope = report_scope(request.user)
    if attachment is None or (scope is not None and not submissions_visible_to(request.user).filter(pk=attachment.report_id).exists()):
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{attachment.pk}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@accepts_api_token
@require_GET
def export_reports_csv(request):
    """The auditors' download: the verifiable CSV, scoped to the requester and
    narrowed by the triage queue's filters (reports.filters), `bom=1` for
    spreadsheet programs. Recorded as an ExportRecord."""
    if not request.user.is_authenticated:
        return redirect(f"{request.build_absolute_uri('/admin/login/')}?next={quote(request.get_full_path())}")
    if not may_export(request.user):
        return HttpResponseForbidden("Only coordinators and auditors can export reports.")
    params = {name: request.GET.get(name, "") for name in request.GET if name != "bom"}
    try:
        filters = parse_report_filters(params)
    except FilterError as exc:
        return HttpResponseBadRequest(f"{exc}\n", content_type="text/plain; charset=utf-8")
    stream = reports_export(
        user=request.user, filters=filters, source=ExportRecord.Source.URL, bom=request.GET.get("bom", "").lower() in ("1", "true", "yes")
    )
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Export-Id"] = str(stream.record.pk)
    return response


@require_GET
def public_key_pem(request):
    """The key that verifies checkpoint signatures: public, for anyone to keep."""
    response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="evidence-public-key.pem"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
