"""Activation codes: issue (voiding the observer's earlier code), activate a
phone with one, and re-issue after a lost or seized phone.

Codes are for observers: coordinators and auditors keep passwords (an
administrator may also give an observer a password)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.models import Observer

from .codes import code_generate, code_hash, code_normalize
from .models import ActivationCode, ApiToken, RosterEntry
from .tokens import token_issue


@dataclass(frozen=True)
class IssuedCode:
    observer: Observer
    code: str
    expires_at: dt.datetime


class ActivationRefused(Exception):
    """`code` is the machine-readable reason, `status` the HTTP status an adapter answers."""

    MESSAGES = {
        "activation_code_invalid": _("This activation code is not valid. Check it, or ask your coordinator."),
        "activation_code_used": _("This activation code was already used. Ask your coordinator for a new badge."),
        "activation_code_expired": _("This activation code has expired. Ask your coordinator for a new badge."),
        "activation_code_voided": _("A newer badge replaced this code. Use the code of your newest badge."),
    }
    STATUS = {"activation_code_invalid": 400, "activation_code_used": 410, "activation_code_expired": 410, "activation_code_voided": 410}

    def __init__(self, code: str):
        self.code = code
        self.status = self.STATUS[code]
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.code])


def may_hold_code(observer: Observer) -> bool:
    return observer.role == Observer.Role.OBSERVER and observer.organization_id is not None and observer.user.is_active


@transaction.atomic
def credentials_issue(*, observers: list[Observer], issued_by=None, valid_hours: float | None = None) -> list[IssuedCode]:
    """One new code per observer (observers who may not hold one are left out:
    see `may_hold_code`); each observer's earlier unused code is voided."""
    hours = settings.ACTIVATION_CODE_TTL_HOURS if valid_hours is None else valid_hours
    if not 0 < hours <= 24 * 31:
        raise ValueError("a code is valid for more than 0 and at most 744 hours")
    now = timezone.now()
    expires_at = now + dt.timedelta(hours=hours)
    # Codes go to people on the roster: the badge names them.
    on_roster = set(RosterEntry.objects.filter(observer__in=observers, active=True).values_list("observer_id", flat=True))
    eligible = [o for o in observers if o.pk in on_roster and may_hold_code(o)]
    ActivationCode.objects.filter(observer__in=eligible, used_at__isnull=True, voided_at__isnull=True).update(voided_at=now)
    issued, rows = [], []
    for observer in eligible:
        code = code_generate()
        issued.append(IssuedCode(observer, code, expires_at))
        rows.append(ActivationCode(observer=observer, code_hash=code_hash(code), expires_at=expires_at, issued_by=issued_by))
    ActivationCode.objects.bulk_create(rows, batch_size=1000)
    return issued


@transaction.atomic
def observer_reissue(*, observer: Observer, issued_by=None, valid_hours: float | None = None) -> IssuedCode | None:
    """Lost or seized phone: every API token and web session of the observer
    stops working at once (a new unusable password changes the hash both are
    bound to), and a new code is issued. Received reports stay, with their chain."""
    user = observer.user
    user.set_unusable_password()
    user.save(update_fields=["password"])
    ApiToken.objects.filter(user=user).delete()
    issued = credentials_issue(observers=[observer], issued_by=issued_by, valid_hours=valid_hours)
    return issued[0] if issued else None


@dataclass(frozen=True)
class Activation:
    observer: Observer
    token: ApiToken | None
    key: str | None


def credential_activate(*, code: str, device_label: str = "", issue_token: bool = True) -> Activation:
    """Spend a code: for the API, an API token (`issue_token`); for the web page,
    the caller then opens a session. Single use: the code is claimed with a
    conditional UPDATE, so two phones racing with one code get in once."""
    canonical = code_normalize(code)
    if canonical is None:
        raise ActivationRefused("activation_code_invalid")
    row = ActivationCode.objects.select_related("observer__user", "observer__organization").filter(code_hash=code_hash(canonical)).first()
    if row is None or not row.observer.user.is_active:
        raise ActivationRefused("activation_code_invalid")
    if row.used_at is not None:
        raise ActivationRefused("activation_code_used")
    if row.voided_at is not None:
        raise ActivationRefused("activation_code_voided")
    now = timezone.now()
    if row.expires_at <= now:
        raise ActivationRefused("activation_code_expired")
    with transaction.atomic():
        claimed = ActivationCode.objects.filter(pk=row.pk, used_at__isnull=True, voided_at__isnull=True).update(
            used_at=now, device_label=device_label[:100]
        )
        if not claimed:
            raise ActivationRefused("activation_code_used")
        token, key = token_issue(user=row.observer.user, device_label=device_label) if issue_token else (None, None)
    return Activation(row.observer, token, key)
