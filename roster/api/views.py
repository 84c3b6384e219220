"""Credentials over the API: password login (a new token each time) and phone
activation with a badge's code. Thin adapters over roster.tokens and
roster.credentials."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from monitoring.selectors import deployments_of

from ..auth import ActivationFailureThrottle
from ..credentials import ActivationRefused, credential_activate
from ..models import ApiToken
from ..tokens import token_issue, tokens_revoke
from .serializers import ActivationRequestSerializer, ActivationResponseSerializer, TokenRequestSerializer, TokenResponseSerializer

_ERROR = inline_serializer("ActivationError", {"detail": serializers.CharField(), "code": serializers.CharField()})


class TokenView(APIView):
    """Exchange a username and password for an API token (POST): every login
    issues a new token and revokes the user's earlier ones; the token expires
    after API_TOKEN_TTL_HOURS. DELETE revokes the token of this request (or,
    with a session, all of the user's). Repeated failures lock the account for a
    while (django-axes)."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer}, auth=[])
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request=request, username=data.validated_data["username"], password=data.validated_data["password"])
        if getattr(request, "axes_locked_out", False):
            return Response(
                {"detail": _("Too many failed login attempts. Try again later or ask your coordinator."), "code": "locked_out"},
                status=status.HTTP_403_FORBIDDEN,
            )
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("Unable to log in with the provided credentials."))
        token, key = token_issue(user=user, device_label=data.validated_data["device_label"] or "password login")
        return Response({"token": key, "token_expires_at": token.expires_at})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        tokens_revoke(user=request.user, token=request.auth if isinstance(request.auth, ApiToken) else None)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivateView(APIView):
    """Activate a phone with the single-use code of its observer's badge: 201
    with an API token. A used code is 410 `activation_code_used`, an expired
    one 410 `activation_code_expired`, one replaced by a newer badge 410
    `activation_code_voided`, an unknown one 400 `activation_code_invalid`.
    Failed attempts are limited per client address (429)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(
        request=ActivationRequestSerializer,
        responses={201: ActivationResponseSerializer, 400: _ERROR, 410: _ERROR, 429: _ERROR},
        auth=[],
    )
    def post(self, request):
        throttle = ActivationFailureThrottle()
        if throttle.blocked(request):
            return Response(
                {"detail": _("Too many wrong codes from this network. Wait a while and try again."), "code": "throttled"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(throttle.retry_after())},
            )
        data = ActivationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            activation = credential_activate(code=data.validated_data["code"], device_label=data.validated_data["device_label"])
        except ActivationRefused as exc:
            throttle.record_failure(request)
            return Response({"detail": exc.message, "code": exc.code}, status=exc.status)
        observer = activation.observer
        organization = observer.organization
        payload = {
            "token": activation.key,
            "token_expires_at": activation.token.expires_at,
            "observer": {
                "public_code": observer.public_code,
                "organization": {"id": organization.pk, "name": organization.name, "kind": organization.kind},
                "deployments": deployments_of(observer=observer),
            },
        }
        return Response(ActivationResponseSerializer(payload).data, status=status.HTTP_201_CREATED)
