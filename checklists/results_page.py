"""The quick count's results page in the admin (`/admin/checklists/sample/results/`):
sampled stations reported out of the sample, turnout and each party's share
with its 95 % margin of error, national and by region, each official figure
marked where it lies outside the margin, and a plot of the national estimates
with their error bars against the official figures. For coordinators and
auditors (their organization's protocols), platform auditors and superusers."""

from functools import partial

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from monitoring.models import Election

from .permissions import quick_count_readable
from .results_plot import results_svg
from .selectors import election_parties, quick_count_of


def urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [path("results/", wrap(partial(results_view, model_admin)), name="checklists_sample_results")]


def _pct(value: float | None, sign: str = "") -> str:
    return "–" if value is None else f"{sign}{100 * value:.2f} %"


def _rows(area, names: dict[str, str]) -> list[dict]:
    figures = [(_("Turnout"), area.turnout)] + [(names.get(p.code, p.code), p) for p in area.parties]
    return [
        {
            "label": label,
            "figure": figure,
            "estimate": _pct(figure.interval.estimate),
            "moe": _pct(figure.interval.moe, "± "),
            "official": _pct(figure.official),
        }
        for label, figure in figures
    ]


def results_view(model_admin, request):
    if not quick_count_readable(user=request.user):
        raise PermissionDenied
    elections = list(Election.objects.filter(sample__isnull=False).order_by("-voting_day", "code"))
    code = request.GET.get("election") or (elections[0].code if elections else "")
    election = next((e for e in elections if e.code == code), None)
    if code and election is None:
        raise Http404
    count = quick_count_of(user=request.user, election=election) if election else None
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Quick count"),
        "elections": elections,
        "election": election,
        "count": count,
    }
    if count is not None:
        language = getattr(request, "LANGUAGE_CODE", "en")
        names = {p.code: p.name.get(language) for p in election_parties(election=election)}
        national = _rows(count.national, names)
        context["national"] = national
        context["regions"] = [{"area": r, "rows": _rows(r, names)} for r in count.regions]
        context["plot"] = mark_safe(  # noqa: S308 -- built by results_svg, every text escaped
            results_svg([(str(row["label"]), row["figure"]) for row in national], title=str(_("National estimates and official figures")))
        )
    return TemplateResponse(request, "admin/checklists/results.html", context)
