"""The results export's download door, beside the reports export's."""

from urllib.parse import quote

from django.http import HttpResponseBadRequest, HttpResponseForbidden, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from monitoring.models import Election
from reports.models import ExportRecord
from reports.permissions import may_export
from reports.views.token_auth import accepts_api_token

from .services.results_export import results_export


@accepts_api_token
@require_GET
def export_results_csv(request):
    """`/exports/results.csv?election=CODE`: the counting protocols the requester
    may see, with the reports export's integrity. A session or an API token."""
    if not request.user.is_authenticated:
        return redirect(f"{request.build_absolute_uri('/admin/login/')}?next={quote(request.get_full_path())}")
    if not may_export(request.user):
        return HttpResponseForbidden("Only coordinators and auditors can export results.")
    election = Election.objects.filter(code=request.GET.get("election", "")).first()
    if election is None:
        return HttpResponseBadRequest("election: name an election by its code (?election=CODE)\n", content_type="text/plain; charset=utf-8")
    stream = results_export(user=request.user, election=election, source=ExportRecord.Source.URL)
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Export-Id"] = str(stream.record.pk)
    return response
