"""The observers' messages API: `GET /api/v1/messages/` (their messages in
their language; fetching delivers them) and `POST /api/v1/messages/{id}/read/`
(the read receipt; idempotent)."""

from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.selectors import observer_for

from .models import MessageReceipt
from .services import message_read, messages_fetch
from .texts import text_for


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="message_id")
    text = serializers.SerializerMethodField()
    language = serializers.SerializerMethodField()
    sent_at = serializers.DateTimeField(source="message.sent_at")
    delivered_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def _chosen(self, receipt) -> tuple[str, str]:
        return text_for(translation.get_language(), receipt.message.texts())

    def get_text(self, receipt) -> str:
        return self._chosen(receipt)[1]

    def get_language(self, receipt) -> str:
        return self._chosen(receipt)[0]


class MessageListSerializer(serializers.Serializer):
    results = MessageSerializer(many=True)
    unread = serializers.IntegerField()


class MessageListView(APIView):
    @extend_schema(responses=MessageListSerializer, summary="The observer's messages (newest 50), in the request's language")
    def get(self, request):
        observer = observer_for(request.user)
        receipts = messages_fetch(observer_id=observer.pk) if observer else []
        return Response({"results": MessageSerializer(receipts, many=True).data, "unread": sum(r.read_at is None for r in receipts)})


class MessageReadView(APIView):
    @extend_schema(request=None, responses=MessageSerializer, summary="Record that the observer opened the message (idempotent)")
    def post(self, request, pk: int):
        observer = observer_for(request.user)
        try:
            receipt = message_read(observer_id=observer.pk if observer else 0, message_id=pk)
        except MessageReceipt.DoesNotExist:
            raise NotFound() from None
        return Response(MessageSerializer(receipt).data)
