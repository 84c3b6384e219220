"""Login lockout (django-axes) per account and per address.

django-axes counts failures for each set of lockout parameters and compares
the largest count with one limit. Two limits are needed here: an account is
locked after AXES_FAILURE_LIMIT failures from one address (a mistyped password
must not lock its owner out everywhere), and an address after
AXES_IP_FAILURE_LIMIT failures across every username (spraying one password
over many usernames), higher because a training room of observers shares one
address. settings.AXES_LOCKOUT_PARAMETERS lists the two sets in that order.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class AccountAndAddressLockout(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """The account's failures from this address; the account limit itself once
        the address has reached its own limit, so that both lock through the
        one comparison django-axes makes."""
        account, address = (_failures(attempts) for attempts in self.get_user_attempts(request, credentials))
        if address >= settings.AXES_IP_FAILURE_LIMIT:
            return max(account, get_failure_limit(request, credentials))
        return account

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful login forgives that account's failures from this address
        only: an attacker logging in to their own account in between must not
        wipe the address's count of other usernames tried."""
        account, _address = self.filter_user_attempts(request, credentials)
        count, _ = account.delete()
        return count
