import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from monitoring.selectors import observer_for
from reports.models import IncidentCategory, IncidentReport, ReportState, TriageStatus
from reports.photos import PhotoBusy, PhotoRejected
from reports.selectors import reports_visible_to, reports_with_details
from reports.services.intake import IdempotencyConflict, SubmissionRefused, report_submit
from reports.throttles import PhotoUploadThrottle

from .serializers import CategorySerializer, ReportCreateSerializer, ReportSerializer

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


class ReportListCreateView(generics.ListCreateAPIView):
    """Observers list the reports they filed; coordinators and auditors their
    organization's. POST files a report (JSON, or multipart with `photos`)."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return reports_with_details(reports_visible_to(self.request.user)).order_by("-received_at", "id")

    @extend_schema(
        request={"application/json": ReportCreateSerializer, "multipart/form-data": ReportCreateSerializer},
        responses={
            201: ReportSerializer,
            200: OpenApiResponse(ReportSerializer, description="Resend of an already received report (same client_uuid and content)."),
            400: OpenApiResponse(description="Field errors: {field: [messages]}."),
            403: OpenApiResponse(ErrorSerializer, description="Not allowed to file (e.g. no active accreditation)."),
            409: OpenApiResponse(ErrorSerializer, description="client_uuid already used for different content."),
            413: OpenApiResponse(ErrorSerializer, description="Request too large."),
            429: OpenApiResponse(ErrorSerializer, description="Too many photos from this user for now (`PHOTO_UPLOAD_THROTTLE`)."),
            503: OpenApiResponse(ErrorSerializer, description="The photo decoders stayed busy: retry after `Retry-After` seconds."),
        },
    )
    def post(self, request, *args, **kwargs):
        observer = observer_for(request.user)
        if observer is None:
            return Response({"detail": _("Only observers can file reports."), "code": "not_an_observer"}, status=status.HTTP_403_FORBIDDEN)
        data = request.data
        if hasattr(data, "getlist"):
            # Multipart: photos is a repeatable file field; other fields are single values.
            values = {key: data.get(key) for key in data if key != "photos"}
            values["photos"] = request.FILES.getlist("photos")
            data = values
        incoming = ReportCreateSerializer(data=data, context={"request": request, "observer": observer})
        incoming.is_valid(raise_exception=True)
        photos = [self._read(f) for f in incoming.validated_data.get("photos", [])]
        throttle = PhotoUploadThrottle()
        if not throttle.take(request, len(photos)):
            return Response(
                {"detail": _("Too many photos sent in a short time. Try again later."), "code": "throttled"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(throttle.retry_after())},
            )
        try:
            result = report_submit(observer=observer, data=incoming.to_input(), photos=photos)
        except SubmissionRefused as exc:
            return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_403_FORBIDDEN)
        except IdempotencyConflict as exc:
            return Response(
                {
                    "detail": _("This report was already sent with different content (same client_uuid)."),
                    "code": "client_uuid_conflict",
                    "report": str(exc.existing.pk),
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
        if not result.created:  # a resend is read back as it stands now
            report = reports_with_details(IncidentReport.objects.filter(pk=result.report.pk)).get()
            return Response(ReportSerializer(report, context=self.get_serializer_context()).data, status=status.HTTP_200_OK)
        # A new report is answered as intake stored it, without reading it back:
        # `received`, no flags yet (even in the embedded mode, where the eager
        # pipeline already ran on commit; the phone polls the report for its
        # outcome), and the photos intake saved.
        context = {**self.get_serializer_context(), "known": {"flags": [], "attachments": list(result.photos)}}
        return Response(ReportSerializer(result.report, context=context).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _read(upload) -> bytes:
        upload.seek(0)
        return upload.read()


class ReportDetailView(generics.RetrieveAPIView):
    """One report with its state, rejection reasons, flags and geotag. Reports the
    user may not see are answered with 404, as if they did not exist."""

    serializer_class = ReportSerializer
    lookup_field = "pk"
    filter_backends = []

    def get_queryset(self):
        return reports_with_details(reports_visible_to(self.request.user))
