"""The checklist exports' download doors, beside the reports export's: a
session or an API token, coordinators and auditors, scoped inside."""

from urllib.parse import quote

from django.http import HttpResponseBadRequest, HttpResponseForbidden, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from monitoring.models import Election
from reports.models import ExportRecord
from reports.permissions import may_export
from reports.views.token_auth import accepts_api_token

from .models import Form
from .services.exports import checklists_export, results_export


def _download(request, start):
    """Answer with the stream `start(election)` gives, or why not."""
    if not request.user.is_authenticated:
        return redirect(f"{request.build_absolute_uri('/admin/login/')}?next={quote(request.get_full_path())}")
    if not may_export(request.user):
        return HttpResponseForbidden("Only coordinators and auditors can export checklists.")
    election = Election.objects.filter(code=request.GET.get("election", "")).first()
    if election is None:
        return HttpResponseBadRequest("election: name an election by its code (?election=CODE)\n", content_type="text/plain; charset=utf-8")
    stream = start(election)
    if stream is None:
        return HttpResponseBadRequest(
            "form: name a form of the election by its code (?form=CODE)\n", content_type="text/plain; charset=utf-8"
        )
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Export-Id"] = str(stream.record.pk)
    return response


@accepts_api_token
@require_GET
def export_results_csv(request):
    """`/exports/results.csv?election=CODE`: the counting protocols the requester may see."""
    return _download(request, lambda election: results_export(user=request.user, election=election, source=ExportRecord.Source.URL))


@accepts_api_token
@require_GET
def export_checklists_csv(request):
    """`/exports/checklists.csv?election=CODE&form=CODE`: the checklists of one form the requester may see."""

    def start(election):
        form = Form.objects.filter(election=election, code=request.GET.get("form", "")).first()
        if form is None:
            return None
        return checklists_export(user=request.user, election=election, form=form, source=ExportRecord.Source.URL)

    return _download(request, start)
