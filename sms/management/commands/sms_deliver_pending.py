"""Hand every outgoing SMS still pending to the workers again, and queue the
SMS of coordinators' messages whose handover was lost (after a broker outage)."""

from django.core.management.base import BaseCommand

from sms.services.messages import sms_queue_missed_messages
from sms.services.outbound import sms_requeue_pending


class Command(BaseCommand):
    help = "Enqueue the delivery of every outgoing SMS still pending, and the SMS of messages to observers never handed over."

    def handle(self, *args, **options):
        # Pending ones first: the missed messages' new SMS are enqueued once, as they are queued.
        count = sms_requeue_pending()
        missed = sms_queue_missed_messages()
        self.stdout.write(f"{count} pending SMS enqueued; {missed} SMS of messages to observers queued")
