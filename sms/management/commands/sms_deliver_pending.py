"""Hand every outgoing SMS still pending to the workers again (after a broker outage)."""

from django.core.management.base import BaseCommand

from sms.services.outbound import sms_requeue_pending


class Command(BaseCommand):
    help = "Enqueue the delivery of every outgoing SMS still pending."

    def handle(self, *args, **options):
        count = sms_requeue_pending()
        self.stdout.write(f"{count} pending SMS enqueued")
