"""Reads of the messages: to whom a message goes, an observer's messages,
and the counts a coordinator sees."""

from django.db.models import Count, Q, QuerySet

from monitoring.models import Observer

from .models import Audience, MessageReceipt, ObserverMessage


def message_recipients(*, organization_id: int, election_id: int, audience: str, region_id=None, station_ids=()) -> list[int]:
    """Ids of the organization's active field observers the message goes to:
    all of them, those the election's plan posts in the region (a station,
    district or the region itself), or those posted at the chosen stations."""
    observers = Observer.objects.filter(organization_id=organization_id, role=Observer.Role.OBSERVER, user__is_active=True)
    if audience == Audience.REGION:
        in_region = Q(deployments__station__district__region_id=region_id) | Q(deployments__district__region_id=region_id)
        observers = observers.filter(in_region | Q(deployments__region_id=region_id), deployments__election_id=election_id)
    elif audience == Audience.STATIONS:
        observers = observers.filter(deployments__election_id=election_id, deployments__station_id__in=list(station_ids))
    return sorted(set(observers.values_list("pk", flat=True)))


def receipts_of(*, observer_id: int, limit: int = 50) -> QuerySet[MessageReceipt]:
    """The observer's messages, newest first (with the message, one query)."""
    return MessageReceipt.objects.filter(observer_id=observer_id).select_related("message").order_by("-message__sent_at")[:limit]


# The sms app's delivery states, named by value: it builds on this app, which never imports it.
SMS_QUEUED, SMS_DONE, SMS_FAILED = ("pending",), ("sent", "written"), ("failed",)


def messages_with_counts(qs: QuerySet[ObserverMessage]) -> QuerySet[ObserverMessage]:
    """Receipts sent, delivered and read, and the SMS queued, sent and failed
    (`sms` is the sms app's link back to the message); distinct, as the two joins multiply."""
    return qs.annotate(
        n_sent=Count("receipts", distinct=True),
        n_delivered=Count("receipts", filter=Q(receipts__delivered_at__isnull=False), distinct=True),
        n_read=Count("receipts", filter=Q(receipts__read_at__isnull=False), distinct=True),
        n_sms_queued=Count("sms", filter=Q(sms__state__in=SMS_QUEUED), distinct=True),
        n_sms_sent=Count("sms", filter=Q(sms__state__in=SMS_DONE), distinct=True),
        n_sms_failed=Count("sms", filter=Q(sms__state__in=SMS_FAILED), distinct=True),
    )


def coordinated_organization(user) -> int | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    observer = Observer.objects.filter(user_id=user.pk, role=Observer.Role.COORDINATOR).only("organization_id").first()
    return observer.organization_id if observer else None
