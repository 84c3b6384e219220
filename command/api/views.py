from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..services.coverage import CoverageDenied, coverage_for
from ..services.gc_pause import gc_paused
from .serializers import CoverageQuerySerializer, CoverageSerializer, coverage_payload

ErrorSerializer = inline_serializer("CoverageError", {"detail": serializers.CharField(), "code": serializers.CharField()})


class CoverageView(APIView):
    """Coverage of the deployment plan: stations planned, arrived, reporting,
    silent and missing, in all and by region, and each observer's state, last
    submission, next shift and latest contact. Coordinators and auditors see
    their organization's; observers are refused (403)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("election", str, required=True, description="Election code."),
            OpenApiParameter("at", str, description="ISO 8601 time with offset to compute the coverage at (default: now)."),
        ],
        responses={
            200: CoverageSerializer,
            400: OpenApiResponse(description="Field errors: {field: [messages]}."),
            403: OpenApiResponse(ErrorSerializer, description="Not a coordinator or auditor."),
        },
    )
    def get(self, request):
        query = CoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = query.validated_data.get("at") or timezone.now()
        try:
            with gc_paused():  # see command.services.gc_pause
                payload = coverage_payload(coverage_for(user=request.user, election=query.validated_data["election"], now=now))
        except CoverageDenied:
            return Response(
                {"detail": _("Only the organization's coordinators and auditors see coverage."), "code": "coverage_forbidden"},
                status=status.HTTP_403_FORBIDDEN,
            )
        response = Response(payload)
        response["Cache-Control"] = "no-store"
        return response
