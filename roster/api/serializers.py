from rest_framework import serializers

from monitoring.api.serializers import DeploymentSerializer, OrganizationBriefSerializer


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"}, trim_whitespace=False)
    device_label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_expires_at = serializers.DateTimeField()


class ActivationRequestSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=40, help_text="The code of the badge, e.g. K7QF-93XB-2MWD (case, spaces and dashes do not matter)."
    )
    device_label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", help_text="e.g. the phone's model.")


class ActivatedObserverSerializer(serializers.Serializer):
    public_code = serializers.CharField()
    organization = OrganizationBriefSerializer()
    deployments = DeploymentSerializer(many=True)


class ActivationResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_expires_at = serializers.DateTimeField()
    observer = ActivatedObserverSerializer()
