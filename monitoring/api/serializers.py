from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from monitoring.models import Accreditation, Deployment, District, Election, PollingStation, Region


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?$", "example": "07:00:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time at the polling station, without offset (JSON Schema's
    `time` format demands one, so the schema states the real shape)."""


class ElectionSerializer(serializers.ModelSerializer):
    polls_open = LocalTimeField(read_only=True)
    polls_close = LocalTimeField(read_only=True)

    class Meta:
        model = Election
        fields = ["code", "name", "voting_day", "polls_open", "polls_close", "observation_starts_at", "observation_ends_at", "status"]


class RegionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "name_kk", "name_ru", "name_en", "timezone"]


class DistrictSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = District
        fields = ["code", "name"]


class StationSerializer(serializers.ModelSerializer):
    election = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = RegionSerializer(source="district.region", read_only=True)
    district = DistrictSerializer(read_only=True)
    distance_m = serializers.SerializerMethodField()

    class Meta:
        model = PollingStation
        fields = [
            "code",
            "election",
            "name",
            "address",
            "settlement",
            "region",
            "district",
            "latitude",
            "longitude",
            "registered_voters",
            "distance_m",
        ]

    def get_distance_m(self, station) -> float | None:
        distance = getattr(station, "distance_m", None)
        return None if distance is None else round(distance, 1)


class StationQuerySerializer(serializers.Serializer):
    election = serializers.SlugField(help_text="Election code, e.g. kz-majilis-2021.")
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="Code prefix or part of the name.")
    near = serializers.CharField(required=False, help_text="LAT,LON: nearest stations first, with distance_m.")

    def validate_election(self, value):
        try:
            return Election.objects.get(code=value)
        except Election.DoesNotExist:
            raise serializers.ValidationError(_("Unknown election.")) from None

    def validate_near(self, value):
        try:
            lat_text, lon_text = value.split(",")
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            raise serializers.ValidationError(_("Use LAT,LON in decimal degrees, e.g. 43.238,76.945.")) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise serializers.ValidationError(_("Latitude must be within -90..90 and longitude within -180..180."))
        return (lat, lon)


class AccreditationSerializer(serializers.ModelSerializer):
    election = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Accreditation
        fields = ["election", "number", "status", "valid_from", "valid_until", "status_reason"]


class DeploymentSerializer(serializers.ModelSerializer):
    """One line of the deployment plan, primary station first (`position` 0)."""

    election = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # A deployment names a station or, for mobile teams, a district or a region: the others are null.
    station = StationSerializer(read_only=True, allow_null=True)
    district = DistrictSerializer(read_only=True, allow_null=True)
    region = RegionSerializer(read_only=True, allow_null=True)
    shift_start = LocalTimeField(read_only=True, allow_null=True, help_text="Shift start, wall-clock time at the station on voting day.")
    shift_end = LocalTimeField(
        read_only=True, allow_null=True, help_text="Shift end, wall-clock time at the station; before shift_start: after midnight."
    )

    class Meta:
        model = Deployment
        fields = ["election", "station", "district", "region", "position", "shift_start", "shift_end"]


class OrganizationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    public_code = serializers.CharField(allow_null=True)
    badge_number = serializers.CharField(allow_blank=True)
    is_superuser = serializers.BooleanField()
    organization = OrganizationBriefSerializer(allow_null=True)
    accreditations = AccreditationSerializer(many=True)
    deployments = DeploymentSerializer(many=True)
    token_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the credentials of this request expire (the API token's, or the web session's)."
    )
