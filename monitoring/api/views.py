from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.models import Accreditation, Election
from monitoring.selectors import deployments_of, observer_for, stations_near, stations_search

from .serializers import (
    ElectionSerializer,
    MeSerializer,
    StationQuerySerializer,
    StationSerializer,
)


def credentials_expire_at(request):
    """The expiry of what authenticated this request: an expiring API token
    (`request.auth.expires_at`) or the web session."""
    expires_at = getattr(request.auth, "expires_at", None)
    if expires_at is None and request.auth is None and hasattr(request, "session") and request.session.session_key:
        expires_at = request.session.get_expiry_date()
    return expires_at


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        observer = observer_for(request.user)
        organization = observer.organization if observer else None
        accreditations = (
            Accreditation.objects.filter(organization=organization).select_related("election")
            if organization
            else Accreditation.objects.none()
        )
        deployments = deployments_of(observer=observer) if observer else []
        payload = {
            "username": request.user.get_username(),
            "role": observer.role if observer else None,
            "public_code": observer.public_code if observer else None,
            "badge_number": observer.badge_number if observer else "",
            "is_superuser": request.user.is_superuser,
            "organization": {"id": organization.pk, "name": organization.name, "kind": organization.kind} if organization else None,
            "accreditations": accreditations,
            "deployments": deployments,
            "token_expires_at": credentials_expire_at(request),
        }
        return Response(MeSerializer(payload).data)


class ElectionListView(ListAPIView):
    queryset = Election.objects.all()
    serializer_class = ElectionSerializer
    pagination_class = None
    filter_backends = []


class StationListView(ListAPIView):
    """Polling stations of one election: search by code prefix or name (`q`), or
    the nearest to a point (`near=LAT,LON`, nearest first, with `distance_m`)."""

    serializer_class = StationSerializer
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter("election", str, required=True, description="Election code."),
            OpenApiParameter("q", str, description="Code prefix or part of the name."),
            OpenApiParameter("near", str, description="LAT,LON in decimal degrees."),
        ],
        responses={200: StationSerializer(many=True), 400: inline_serializer("StationQueryError", {"election": serializers.ListField()})},
    )
    def get(self, request, *args, **kwargs):
        query = StationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        self.query = query.validated_data
        if self.query.get("near"):
            limit = self.paginator.get_limit(request) or 10
            lat, lon = self.query["near"]
            found = stations_near(election=self.query["election"], latitude=lat, longitude=lon, limit=min(limit, 100))
            stations = []
            for station, distance in found:
                station.distance_m = distance
                stations.append(station)
            return Response(
                {"count": len(stations), "next": None, "previous": None, "results": self.get_serializer(stations, many=True).data}
            )
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return stations_search(election=self.query["election"], query=self.query.get("q", ""))
