"""Evidence doors: photos (scoped, inert) and the CSV export download."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseForbidden, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import export
from ..models import Attachment
from ..selectors import can_export, report_scope, reports_visible_to


@login_required
@require_GET
def photo(request, pk):
    """Photos are evidence and can endanger observers: only people who may see the
    report get them, as an inert download-safe image."""
    attachment = Attachment.objects.select_related("report").filter(pk=pk).first()
    scope = report_scope(request.user)
    if attachment is None or (scope is not None and not reports_visible_to(request.user).filter(pk=attachment.report_id).exists()):
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{attachment.pk}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def export_reports_csv(request):
    if not request.user.is_authenticated:
        return redirect(f"{request.build_absolute_uri('/admin/login/')}?next={request.get_full_path()}")
    if not can_export(request.user):
        return HttpResponseForbidden("Only coordinators and auditors can export reports.")
    qs = reports_visible_to(request.user)
    election = request.GET.get("election")
    if election:
        qs = qs.filter(election__code=election)
    bom = request.GET.get("bom") in ("1", "true", "yes")
    response = StreamingHttpResponse(export.csv_lines(export.iterate(qs), bom=bom), content_type="text/csv; charset=utf-8")
    filename = f"reports-{election or 'all'}-{timezone.now():%Y%m%dT%H%M%SZ}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
