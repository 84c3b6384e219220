import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from monitoring.selectors import observer_for
from reports.models import CheckIn, CheckInKind, Flag, IncidentCategory, IncidentReport, ReportState, SubmissionSource, TriageStatus
from reports.photos import PhotoBusy, PhotoRejected
from reports.selectors import checkins_visible_to, reports_visible_to, reports_with_details
from reports.services.intake import IdempotencyConflict, SubmissionRefused, SubmissionResult, submission_submit
from reports.throttles import PhotoUploadThrottle

from .serializers import CategorySerializer, CheckInCreateSerializer, CheckInSerializer, ReportCreateSerializer, ReportSerializer

ErrorSerializer = inline_serializer("Error", {"detail": serializers.CharField(), "code": serializers.CharField()})


class CategoryListView(generics.ListAPIView):
    queryset = IncidentCategory.objects.filter(is_active=True)
    serializer_class = CategorySerializer
    pagination_class = None
    filter_backends = []


class ReportFilter(django_filters.FilterSet):
    election = django_filters.CharFilter(field_name="election__code")
    station = django_filters.CharFilter(field_name="station__code")
    category = django_filters.CharFilter(field_name="category__code")
    state = django_filters.ChoiceFilter(choices=ReportState.choices)
    triage_status = django_filters.ChoiceFilter(choices=TriageStatus.choices)

    class Meta:
        model = IncidentReport
        fields = ["election", "station", "category", "state", "triage_status"]


def api_submit(observer, incoming, *, photos=()) -> SubmissionResult | Response:
    """File through the one submit function; a refusal or a conflict is the
    answer itself (403, 409). Field errors and rejected photos raise (400)."""
    try:
        return submission_submit(observer=observer, data=incoming.to_input(), source=SubmissionSource.API, photos=photos)
    except SubmissionRefused as exc:
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_403_FORBIDDEN)
    except IdempotencyConflict as exc:
        return Response(
            {
                "detail": incoming.conflict_message,
                "code": "client_uuid_conflict",
                incoming.conflict_key: str(exc.existing.pk),
            },
            status=status.HTTP_409_CONFLICT,
        )
    except PhotoRejected as exc:
        raise ValidationError({"photos": [str(exc)]}) from None
    except PhotoBusy:
        return Response(
            {"detail": _("The server is busy processing photos. Try again in a minute."), "code": "photo_processing_busy"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "10"},
        )


def with_photos(request):
    """The request's data; from a multipart body, with `photos` the list of
    its files (a repeatable field) and every other field a single value."""
    data = request.data
    if not hasattr(data, "getlist"):
        return data
    values = {key: data.get(key) for key in data if key != "photos"}
    values["photos"] = request.FILES.getlist("photos")
    return values


def photos_read(request, uploads) -> list[bytes] | Response:
    """The uploads' bytes, or the 429 answer when the user sent too many photos of late."""
    throttle = PhotoUploadThrottle()
    if not throttle.take(request, len(uploads)):
        return Response(
            {"detail": _("Too many photos sent in a short time. Try again later."), "code": "throttled"},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(throttle.retry_after())},
        )
    photos = []
    for upload in uploads:
        upload.seek(0)
        photos.append(upload.read())
    return photos


def not_an_observer() -> Response:
    return Response({"detail": _("Only observers can file reports."), "code": "not_an_observer"}, status=status.HTTP_403_FORBIDDEN)


def submission_responses(serializer, *, resend: str, conflict: str) -> dict:
    return {
        201: serializer,
        200: OpenApiResponse(serializer, description=resend),
        400: OpenApiResponse(description="Field errors: {field: [messages]}."),
        403: OpenApiResponse(ErrorSerializer, description="Not allowed to file (e.g. no active accreditation)."),
        409: OpenApiResponse(ErrorSerializer, description=conflict),
        413: OpenApiResponse(ErrorSerializer, description="Request too large."),
        429: OpenApiResponse(ErrorSerializer, description="Too many photos from this user for now (`PHOTO_UPLOAD_THROTTLE`)."),
        503: OpenApiResponse(ErrorSerializer, description="The photo decoders stayed busy: retry after `Retry-After` seconds."),
    }


class SubmissionListCreateView(generics.ListCreateAPIView):
    """A kind of submission: the list the user may see and the door that files
    one, through the one submit function (idempotent and refused alike for
    every kind). A kind names its model, its create serializer, whether it
    takes photos, and how its rows are read with their details."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    model: type
    create_serializer_class: type
    takes_photos = True

    def with_details(self, queryset):
        raise NotImplementedError

    def file(self, request) -> Response:
        observer = observer_for(request.user)
        if observer is None:
            return not_an_observer()
        data = with_photos(request) if self.takes_photos else request.data
        incoming = self.create_serializer_class(data=data, context={"request": request, "observer": observer})
        incoming.is_valid(raise_exception=True)
        photos = photos_read(request, incoming.validated_data.get("photos", [])) if self.takes_photos else ()
        if isinstance(photos, Response):
            return photos
        result = api_submit(observer, incoming, photos=photos)
        if isinstance(result, Response):
            return result
        context = self.get_serializer_context()
        if not result.created:  # a resend is read back as it stands now
            stored = self.with_details(self.model.objects.filter(pk=result.submission.pk)).get()
            return Response(self.serializer_class(stored, context=context).data, status=status.HTTP_200_OK)
        # A new submission is answered as intake stored it, without reading it
        # back: `received`, no flags yet (even in the embedded mode, where the
        # eager pipeline already ran on commit; the phone polls for the
        # outcome), and the photos intake saved.
        context["known"] = {"flags": [], "attachments": list(result.photos)}
        return Response(self.serializer_class(result.submission, context=context).data, status=status.HTTP_201_CREATED)


class ReportListCreateView(SubmissionListCreateView):
    """Observers list the reports they filed; coordinators and auditors their
    organization's. POST files a report (JSON, or multipart with `photos`)."""

    serializer_class = ReportSerializer
    create_serializer_class = ReportCreateSerializer
    model = IncidentReport
    filterset_class = ReportFilter

    def with_details(self, queryset):
        return reports_with_details(queryset)

    def get_queryset(self):
        return self.with_details(reports_visible_to(self.request.user)).order_by("-received_at", "id")

    @extend_schema(
        request={"application/json": ReportCreateSerializer, "multipart/form-data": ReportCreateSerializer},
        responses=submission_responses(
            ReportSerializer,
            resend="Resend of an already received report (same client_uuid and content).",
            conflict="client_uuid already used for different content.",
        ),
    )
    def post(self, request, *args, **kwargs):
        return self.file(request)


class ReportDetailView(generics.RetrieveAPIView):
    """One report with its state, rejection reasons, flags and geotag. Reports the
    user may not see are answered with 404, as if they did not exist."""

    serializer_class = ReportSerializer
    lookup_field = "pk"
    filter_backends = []

    def get_queryset(self):
        return reports_with_details(reports_visible_to(self.request.user))


class CheckInFilter(django_filters.FilterSet):
    election = django_filters.CharFilter(field_name="election__code")
    station = django_filters.CharFilter(field_name="station__code")
    kind = django_filters.ChoiceFilter(field_name="checkin_kind", choices=CheckInKind.choices)
    state = django_filters.ChoiceFilter(choices=ReportState.choices)

    class Meta:
        model = CheckIn
        fields = ["election", "station", "kind", "state"]


def _checkins_with_details(qs):
    related = ("election", "station", "submitted_by", "geo_region", "geo_district", "nearest_station")
    return qs.select_related(*related).prefetch_related(Prefetch("flags", queryset=Flag.objects.order_by("code")))


class CheckInListCreateView(SubmissionListCreateView):
    """Observers list their own check-ins; coordinators and auditors their
    organization's (`?election=CODE`, newest first). POST checks in (JSON, or
    a form as the web app's outbox sends it): arrived at the station, all
    quiet, or left; idempotent and refused exactly like a report."""

    serializer_class = CheckInSerializer
    create_serializer_class = CheckInCreateSerializer
    model = CheckIn
    takes_photos = False
    filterset_class = CheckInFilter

    def with_details(self, queryset):
        return _checkins_with_details(queryset)

    def get_queryset(self):
        return self.with_details(checkins_visible_to(self.request.user)).order_by("-received_at", "id")

    @extend_schema(
        request={"application/json": CheckInCreateSerializer, "multipart/form-data": CheckInCreateSerializer},
        responses=submission_responses(
            CheckInSerializer,
            resend="Resend of an already received check-in (same client_uuid and content).",
            conflict="client_uuid already used for different content (`submission`: the one that has it).",
        ),
    )
    def post(self, request, *args, **kwargs):
        return self.file(request)
