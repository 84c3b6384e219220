from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..formdoc import localized
from ..permissions import forms_readable
from ..selectors import form_document, forms_current
from .serializers import FormQuerySerializer, FormSerializer

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
