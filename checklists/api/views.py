import django_filters
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.api.views import SubmissionListCreateView, submission_responses
from reports.models import Checklist, ReportState
from reports.selectors import checklists_visible_to, reports_with_details

from ..formdoc import localized
from ..permissions import forms_readable, quick_count_readable
from ..selectors import form_document, forms_current, quick_count_of
from .serializers import ChecklistCreateSerializer, ChecklistSerializer, FormQuerySerializer, FormSerializer

ErrorSerializer = inline_serializer("FormsError", {"detail": serializers.CharField(), "code": serializers.CharField()})


class FormListView(APIView):
    """The election's forms, each with its current version, every text in the
    caller's language (Accept-Language, or the language the phone's activation
    chose). For anyone of an organization accredited for the election."""

    @extend_schema(
        parameters=[OpenApiParameter("election", str, required=True, description="Election code.")],
        responses={
            200: FormSerializer(many=True),
            400: OpenApiResponse(description="Field errors: {election: [messages]}."),
            403: OpenApiResponse(ErrorSerializer, description="Not accredited for this election."),
        },
    )
    def get(self, request):
        query = FormQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        election = query.validated_data["election"]
        if not forms_readable(user=request.user, election=election):
            return Response(
                {"detail": _("Your organization is not accredited to observe this election."), "code": "not_accredited"},
                status=status.HTTP_403_FORBIDDEN,
            )
        language = (get_language() or "en")[:2]
        forms = [
            {**localized(form_document(v), language), "version": v.number, "language": language} for v in forms_current(election=election)
        ]
        return Response(FormSerializer(forms, many=True).data)


class ChecklistFilter(django_filters.FilterSet):
    election = django_filters.CharFilter(field_name="election__code")
    station = django_filters.CharFilter(field_name="station__code")
    form = django_filters.CharFilter(field_name="filed_answers__form_version__form__code")
    state = django_filters.ChoiceFilter(choices=ReportState.choices)

    class Meta:
        model = Checklist
        fields = ["election", "station", "form", "state"]


class ChecklistListCreateView(SubmissionListCreateView):
    """Observers list the checklists they filed; coordinators and auditors
    their organization's. POST files one (JSON, or multipart with `photos` and
    `answers` as JSON text): the answers are checked against the form version
    named (400: `{"answers": {question: [messages]}}` for each answer that does
    not fit its type or bounds, each unknown question and each required one
    missing); idempotent and refused exactly like a report."""

    serializer_class = ChecklistSerializer
    create_serializer_class = ChecklistCreateSerializer
    model = Checklist
    filterset_class = ChecklistFilter

    def with_details(self, queryset):
        return reports_with_details(queryset).select_related("filed_answers__form_version__form")

    def get_queryset(self):
        return self.with_details(checklists_visible_to(self.request.user)).order_by("-received_at", "id")

    @extend_schema(
        request={"application/json": ChecklistCreateSerializer, "multipart/form-data": ChecklistCreateSerializer},
        responses=submission_responses(
            ChecklistSerializer,
            resend="Resend of an already received checklist (same client_uuid and content).",
            conflict="client_uuid already used for different content (`submission`: the one that has it).",
        ),
    )
    def post(self, request, *args, **kwargs):
        return self.file(request)


def _figure(result) -> dict:
    return {
        "estimate": result.interval.estimate,
        "moe": result.interval.moe,
        "official": result.official,
        "outside_moe": result.outside_moe,
    }


def _area(area) -> dict:
    return {"turnout": _figure(area.turnout), "parties": [{"code": p.code, **_figure(p)} for p in area.parties]}


def quick_count_body(count) -> dict:
    """The quick count as the API gives it: shares and turnout as fractions (0.7109), margins likewise."""
    return {
        "sample_size": count.sample_size,
        "reported": count.reported,
        **_area(count.national),
        "notes": list(count.national.notes),
        "regions": [{"region": r.area, "reported": r.reported, **_area(r), "notes": list(r.notes)} for r in count.regions],
    }


class QuickCountView(APIView):
    """The quick count of an election (`?election=CODE`): from the counting
    protocols of the caller's organization filed at the sampled stations (the
    last accepted one per station), turnout and each party's share with its
    95 % margin of error, national and by region, each against the official
    figure (`outside_moe`). For coordinators and auditors, platform auditors
    and superusers; observers get 403."""

    @extend_schema(
        parameters=[OpenApiParameter("election", str, required=True, description="Election code.")],
        responses={
            200: OpenApiResponse(description="{sample_size, reported, turnout, parties, notes, regions}."),
            400: OpenApiResponse(description="Field errors: {election: [messages]}."),
            403: OpenApiResponse(ErrorSerializer, description="Observers (and anyone not a coordinator or an auditor)."),
            404: OpenApiResponse(ErrorSerializer, description="The election has no quick-count sample."),
        },
    )
    def get(self, request):
        if not quick_count_readable(user=request.user):
            return Response(
                {"detail": _("Only coordinators and auditors may read the quick count."), "code": "not_allowed"},
                status=status.HTTP_403_FORBIDDEN,
            )
        query = FormQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        count = quick_count_of(user=request.user, election=query.validated_data["election"])
        if count is None:
            return Response(
                {"detail": _("This election has no quick-count sample."), "code": "no_sample"}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(quick_count_body(count))
