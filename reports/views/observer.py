"""Server-rendered pages for observers (mobile web). Thin adapters over services and selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from monitoring.models import Election
from monitoring.selectors import observer_for

from ..forms import ReportForm
from ..photos import PhotoRejected
from ..rules import flag_text
from ..selectors import reports_visible_to
from ..services import IdempotencyConflict, SubmissionRefused, report_submit
from ..validation import reason_text


@login_required
def home(request):
    return redirect("web:report-new")


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request):
    observer = observer_for(request.user)
    if observer is None:
        raise PermissionDenied
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            photos = [f.read() for f in request.FILES.getlist("photos")]
            try:
                report_submit(observer=observer, data=form.to_input(), photos=photos)
            except SubmissionRefused as exc:
                form.add_error(None, exc.message)
            except IdempotencyConflict:
                form.add_error(None, _("This report was already sent with different content."))
            except PhotoRejected as exc:
                form.add_error(None, _("Photo rejected: %(reason)s") % {"reason": exc})
            else:
                messages.success(request, _("Report sent. Its state is shown below."))
                return redirect("web:my-reports")
    else:
        initial = {"occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
        election = Election.objects.filter(status=Election.Status.OPEN).first()
        if election:
            initial["election"] = election.code
        form = ReportForm(initial=initial)
    return render(request, "reports/report_form.html", {"form": form, "observer": observer})


@login_required
@require_GET
def my_reports(request):
    observer = observer_for(request.user)
    if observer is None:
        raise PermissionDenied
    reports = (
        reports_visible_to(request.user)
        .filter(submitted_by=observer)
        .select_related("station", "category")
        .prefetch_related("flags")
        .order_by("-received_at")[:100]
    )
    rows = [
        {
            "report": r,
            "reasons": [reason_text(reason) for reason in r.rejection_reasons],
            "flags": [flag_text(f.code, f.params) for f in r.flags.all()],
        }
        for r in reports
    ]
    return render(request, "reports/my_reports.html", {"rows": rows})
