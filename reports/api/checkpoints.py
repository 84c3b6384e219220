"""GET /api/v1/checkpoints/?election=CODE: the signed checkpoints of the
requester's organization's chains in that election, oldest first, each with
its signature (what an auditor keeps, to check later exports against)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError

from monitoring.models import Election
from reports.permissions import may_export
from reports.selectors import checkpoints_visible_to
from reports.services.checkpoints import checkpoint_as_json


class CheckpointSerializer(serializers.BaseSerializer):
    def to_representation(self, instance):
        return checkpoint_as_json(instance, election_code=instance.election.code)


@extend_schema(
    parameters=[OpenApiParameter("election", str, required=True, description="election code")],
    responses=inline_serializer(
        "Checkpoint",
        {
            "format": serializers.CharField(),
            "election": serializers.CharField(),
            "organization": serializers.IntegerField(),
            "kind": serializers.CharField(),
            "seq": serializers.IntegerField(),
            "head": serializers.CharField(),
            "time": serializers.CharField(),
            "signature": serializers.CharField(),
            "public_key_sha256": serializers.CharField(),
        },
    ),
)
class CheckpointListView(generics.ListAPIView):
    """Coordinators and auditors: their organization's checkpoints (403 for observers)."""

    serializer_class = CheckpointSerializer
    filter_backends = []

    def get_queryset(self):
        if not may_export(self.request.user):
            raise PermissionDenied(_("Only coordinators and auditors can see checkpoints."))
        code = self.request.query_params.get("election", "")
        election = Election.objects.filter(code=code).first() if code else None
        if election is None:
            raise ValidationError({"election": [_("Give the code of an election.")]})
        return checkpoints_visible_to(self.request.user).filter(election=election).order_by("organization_id", "kind", "seq")
