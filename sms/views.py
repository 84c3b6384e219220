"""The gateway's webhook, POST /sms/inbound/: signature first (403), then the
body's fields (400), then the delivery is recorded and answered (200, also
for a gateway id seen before, which changes nothing)."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .incoming import Malformed, incoming_read
from .services.inbound import sms_receive
from .signature import signature_valid


@csrf_exempt
@require_POST
def inbound(request):
    body = request.body
    if not signature_valid(body, request.headers.get("X-Signature"), settings.SMS_GATEWAY_SECRET):
        return JsonResponse({"detail": "Missing or wrong X-Signature.", "code": "bad_signature"}, status=403)
    try:
        incoming = incoming_read(body, request.content_type or "", phone_region=settings.ROSTER_PHONE_REGION)
    except Malformed as exc:
        return JsonResponse({"detail": str(exc), "code": "malformed"}, status=400)
    received = sms_receive(incoming=incoming)
    return JsonResponse(
        {"status": "received" if received.created else "duplicate", "id": incoming.gateway_id, "outcome": received.message.outcome}
    )
