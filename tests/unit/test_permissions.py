"""Who may reach what: every route of the project × every persona → the expected
status. The routes come from Django's URL resolver, so a route added later
(a page, an API endpoint, a ModelAdmin) fails `test_every_route_is_classified`
until someone decides who may use it and adds it to ROUTES or ADMIN_MODELS.

Objects probed on detail routes belong to organization A ("Civic Observers"):
a report filed by `observer`, with a photo. Personas of organization B
(`other_observer`, `other_coordinator`) must not reach them; nor must
`observer_2` (same organization, not the author: observers see only their own).

Statuses: 200 ok, 201 created, 204 revoked, 302 redirect (to a login page for
people who are not signed in or not staff; to the admin index for an object
outside the user's scope), 401 no credentials (API), 403 not allowed,
404 hidden or absent, 405 wrong method.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from checklists.official_rows import COLUMNS
from checklists.services.forms import form_load
from checklists.services.official import official_results_import
from checklists.services.samples import sample_draw
from command.models import ContactAttempt
from monitoring.models import Deployment
from reports.models import Attachment, ExportRecord, IncidentReport, ReportEvent
from roster.models import RosterEntry
from testkit.factories import CheckInFactory, FlagFactory
from testkit.images import jpeg_bytes
from tests.conftest import PASSWORD, checkin_payload, report_payload
from tests.filing import file_report
from tests.unit.checklists.filing import checklist_payload

ROLES = [
    "anonymous",
    "observer",
    "observer_2",
    "other_observer",
    "revoked_observer",
    "unaccredited_observer",
    "coordinator",
    "auditor",
    "other_coordinator",
    "platform_auditor",
    "superuser",
]
OBSERVER_ROLES = ["observer", "observer_2", "other_observer", "revoked_observer", "unaccredited_observer"]
STAFF_ROLES = ["coordinator", "auditor", "other_coordinator", "platform_auditor", "superuser"]


def everyone(status):
    return dict.fromkeys(ROLES, status)


def by(default, **overrides):
    expected = everyone(default)
    expected.update(overrides)
    return expected


def signed_in(status, anonymous):
    return by(status, anonymous=anonymous)


@dataclass
class Probe:
    method: str
    path: str  # may hold {placeholders} filled from the scene
    expected: dict
    data: dict | None = None
    content_type: str = "application/json"
    note: str = ""


@dataclass
class Scene:
    world: object
    report: IncidentReport
    attachment: Attachment
    event: ReportEvent
    export: ExportRecord
    ids: dict = field(default_factory=dict)


# --- Project routes (everything outside the per-model admin pages) --------------------------------
API_READ = signed_in(200, anonymous=401)
API_DETAIL_OF_A = by(
    404, anonymous=401, observer=200, coordinator=200, auditor=200, platform_auditor=200, superuser=200
)  # observer_2, organization B, revoked, unaccredited: 404
FILE_REPORT = by(
    201,
    anonymous=401,
    revoked_observer=403,  # accreditation revoked
    unaccredited_observer=403,
    auditor=403,  # read-only role
    platform_auditor=403,
    superuser=403,  # not an observer
)
WEB_OBSERVER_PAGE = by(200, anonymous=302, superuser=403)  # a superuser has no observer profile
# Filing: observers and coordinators; auditors and people without an observer
# profile get a page that says so (403), not the form.
WEB_REPORT_FORM = by(200, anonymous=302, auditor=403, platform_auditor=403, superuser=403)
WEB_CHECKLISTS = {**WEB_REPORT_FORM, "revoked_observer": 404, "unaccredited_observer": 404}
ADMIN_LOGIN_REDIRECT = dict.fromkeys(["anonymous", *OBSERVER_ROLES], 302)
CAN_EXPORT = by(403, anonymous=302, coordinator=200, auditor=200, other_coordinator=200, platform_auditor=200, superuser=200)
PHOTO_OF_A = by(404, anonymous=302, observer=200, coordinator=200, auditor=200, platform_auditor=200, superuser=200)

ROUTES: dict[str, list[Probe]] = {
    "healthz": [Probe("GET", "/healthz", everyone(200))],
    "sms/inbound/": [
        Probe(
            "POST",
            "/sms/inbound/",
            everyone(403),
            data={"id": "1", "from": "+77011234567", "text": "A 02001"},
            note="the gateway's signature, not a login",
        )
    ],
    # Off unless METRICS_TOKEN is set; then a bearer token, never a session (tests/unit/config/test_metrics.py).
    "metrics": [Probe("GET", "/metrics", everyone(404), note="METRICS_TOKEN unset in tests: off for everyone")],
    "api/schema/": [Probe("GET", "/api/schema/", everyone(200), note="the OpenAPI document is public")],
    "api/docs/": [
        Probe("GET", "/api/docs/", everyone(200)),
        Probe("GET", "/api/docs/?script=", everyone(200), note="Swagger UI's setup script, served apart from the page (CSP)"),
    ],
    "api/v1/auth/token/": [
        Probe("POST", "/api/v1/auth/token/", signed_in(200, anonymous=400), data={"username": "{username}", "password": PASSWORD}),
        Probe("DELETE", "/api/v1/auth/token/", signed_in(204, anonymous=401)),
    ],
    "api/v1/auth/activate/": [
        Probe("POST", "/api/v1/auth/activate/", everyone(400), data={"code": "NOT-A-CODE"}, note="no credentials needed: the code is one")
    ],
    "activate/": [Probe("GET", "/activate/", everyone(200), note="the badge's QR opens it; the code stays in the fragment")],
    "api/v1/me/": [Probe("GET", "/api/v1/me/", API_READ)],
    "api/v1/elections/": [Probe("GET", "/api/v1/elections/", API_READ)],
    "api/v1/stations/": [Probe("GET", "/api/v1/stations/?election={election}", API_READ)],
    "api/v1/categories/": [Probe("GET", "/api/v1/categories/", API_READ)],
    "api/v1/reports/": [
        Probe("GET", "/api/v1/reports/", API_READ, note="content is scoped: see test_lists_are_isolated"),
        Probe("POST", "/api/v1/reports/", FILE_REPORT, data="report"),
    ],
    "api/v1/reports/<uuid:pk>/": [Probe("GET", "/api/v1/reports/{report}/", API_DETAIL_OF_A)],
    # Coverage: the organization's coordinators and auditors, platform staff; observers 403 (content scoped: tests/unit/command).
    "api/v1/coverage/": [
        Probe(
            "GET",
            "/api/v1/coverage/?election={election}",
            by(403, anonymous=401, coordinator=200, auditor=200, other_coordinator=200, platform_auditor=200, superuser=200),
        )
    ],
    # Forms: anyone of an organization accredited for the election (the filing gate), platform auditors, superusers.
    "api/v1/forms/": [
        Probe("GET", "/api/v1/forms/?election={election}", by(200, anonymous=401, revoked_observer=403, unaccredited_observer=403))
    ],
    "api/v1/checkins/": [
        Probe("GET", "/api/v1/checkins/?election={election}", API_READ, note="content is scoped: see test_checkins_are_isolated"),
        Probe("POST", "/api/v1/checkins/", FILE_REPORT, data="checkin", note="the same gates as a report"),
    ],
    "api/v1/quick-count/": [
        Probe(
            "GET",
            "/api/v1/quick-count/?election={election}",
            by(403, anonymous=401, coordinator=200, auditor=200, other_coordinator=200, platform_auditor=200, superuser=200),
            note="coordinators and auditors: their organization's protocols",
        )
    ],
    "api/v1/checklists/": [
        Probe("GET", "/api/v1/checklists/?election={election}", API_READ, note="content is scoped: test_filing_api"),
        Probe("POST", "/api/v1/checklists/", FILE_REPORT, data="checklist", note="the same gates as a report"),
    ],
    "api/v1/checkpoints/": [
        Probe(
            "GET",
            "/api/v1/checkpoints/?election={election}",
            by(403, anonymous=401, coordinator=200, auditor=200, other_coordinator=200, platform_auditor=200, superuser=200),
            note="only the organization's own: see test_checkpoints_are_listed_to_the_organizations_coordinators_and_auditors_only",
        )
    ],
    "evidence/public-key.pem": [Probe("GET", "/evidence/public-key.pem", everyone(200), note="the public half of the evidence key")],
    "api/v1/messages/": [Probe("GET", "/api/v1/messages/", API_READ, note="content is scoped: see tests/unit/messaging")],
    "api/v1/messages/<int:pk>/read/": [
        Probe(
            "POST", "/api/v1/messages/{message}/read/", by(404, anonymous=401, observer=200, observer_2=200), note="sent to A's observers"
        )
    ],
    "i18n/setlang/": [Probe("POST", "/i18n/setlang/", everyone(302), data={"language": "ru"}, content_type="form")],
    "": [Probe("GET", "/", signed_in(302, anonymous=302))],
    "login/": [Probe("GET", "/login/", signed_in(302, anonymous=200))],
    "logout/": [Probe("POST", "/logout/", everyone(302), content_type="form")],
    "reports/new/": [Probe("GET", "/reports/new/", WEB_REPORT_FORM)],
    "reports/": [Probe("GET", "/reports/", WEB_OBSERVER_PAGE)],
    "checklists/": [Probe("GET", "/checklists/", WEB_CHECKLISTS, note="no accredited election: no forms to show")],
    "checklists/<slug:code>/": [Probe("GET", "/checklists/counting/", WEB_CHECKLISTS)],
    "checkins/": [
        Probe("GET", "/checkins/", by(405, anonymous=302), note="POST only"),
        Probe(
            "POST",
            "/checkins/",
            by(302, auditor=403, platform_auditor=403, superuser=403),
            content_type="form",
            note="the check-in buttons without JavaScript: back to the form with a message (sent, refused or invalid)",
        ),
    ],
    "offline/": [Probe("GET", "/offline/", everyone(200), note="static fallback page the service worker shows; no data")],
    "sw.js": [Probe("GET", "/sw.js", everyone(200), note="the service worker script; no data")],
    "photos/<uuid:pk>/": [Probe("GET", "/photos/{attachment}/", PHOTO_OF_A)],
    "exports/reports.csv": [Probe("GET", "/exports/reports.csv?election={election}", CAN_EXPORT)],
    "exports/checklists.csv": [
        Probe("GET", "/exports/checklists.csv?election={election}&form=counting", CAN_EXPORT, note="scoped inside: test_quick_count_api")
    ],
    "exports/results.csv": [Probe("GET", "/exports/results.csv?election={election}", CAN_EXPORT, note="scoped inside: test_quick_count_api")],
    # Admin site views.
    "admin/": [Probe("GET", "/admin/", by(200, **ADMIN_LOGIN_REDIRECT))],
    "admin/login/": [Probe("GET", "/admin/login/", by(302, anonymous=200, **dict.fromkeys(OBSERVER_ROLES, 200)))],
    "admin/logout/": [Probe("POST", "/admin/logout/", everyone(302), content_type="form")],
    "admin/password_change/": [Probe("GET", "/admin/password_change/", by(200, **ADMIN_LOGIN_REDIRECT))],
    "admin/password_change/done/": [Probe("GET", "/admin/password_change/done/", by(200, **ADMIN_LOGIN_REDIRECT))],
    "admin/autocomplete/": [Probe("GET", "/admin/autocomplete/", by(403, **ADMIN_LOGIN_REDIRECT), note="403: no target model")],
    "admin/jsi18n/": [Probe("GET", "/admin/jsi18n/", by(200, **ADMIN_LOGIN_REDIRECT))],
    "admin/r/<path:content_type_id>/<path:object_id>/": [
        Probe("GET", "/admin/r/{report_ct}/{report}/", by(404, **ADMIN_LOGIN_REDIRECT), note="reports have no public URL")
    ],
    "admin/^(?P<app_label>auth|axes|monitoring|roster|reports|checklists|sms|command|alerts|messaging)/$": [
        Probe("GET", "/admin/reports/", by(200, **ADMIN_LOGIN_REDIRECT)),
        Probe("GET", "/admin/command/", by(200, **ADMIN_LOGIN_REDIRECT), note="coverage: every staff role"),
        Probe("GET", "/admin/auth/", by(404, superuser=200, **ADMIN_LOGIN_REDIRECT), note="staff roles get no user admin"),
        Probe("GET", "/admin/sms/", by(404, superuser=200, **ADMIN_LOGIN_REDIRECT), note="the SMS log holds phone numbers"),
    ],
    # Personal data: the organization's coordinators (their own roster) and superusers only.
    "admin/roster/rosterentry/import/": [
        Probe(
            "GET",
            "/admin/roster/rosterentry/import/",
            by(403, coordinator=200, other_coordinator=200, superuser=200, **ADMIN_LOGIN_REDIRECT),
        )
    ],
    "admin/roster/rosterentry/import/<int:pk>/": [
        Probe(
            "GET",
            "/admin/roster/rosterentry/import/1/",
            by(403, coordinator=302, other_coordinator=302, superuser=302, **ADMIN_LOGIN_REDIRECT),
            note="POST only: GET goes back to the upload",
        )  # fmt: skip
    ],
    "admin/(?P<url>.*)$": [Probe("GET", "/admin/nothing-here/", by(404, **ADMIN_LOGIN_REDIRECT))],
    # The coverage board (scoped inside: see tests/unit/command/test_board.py).
    "admin/command/contactattempt/board/": [
        Probe("GET", "/admin/command/contactattempt/board/?election={election}", by(200, **ADMIN_LOGIN_REDIRECT))
    ],
    "admin/command/contactattempt/board/points.json": [
        Probe("GET", "/admin/command/contactattempt/board/points.json?election={election}", by(200, **ADMIN_LOGIN_REDIRECT))
    ],
    "admin/command/contactattempt/board/observer/<str:public_code>/": [
        Probe(
            "GET",
            "/admin/command/contactattempt/board/observer/{observer_code}/?election={election}",
            by(200, other_coordinator=404, **ADMIN_LOGIN_REDIRECT),
        ),
        Probe(
            "POST",
            "/admin/command/contactattempt/board/observer/{observer_code}/?election={election}",
            by(302, auditor=403, platform_auditor=403, other_coordinator=404, **ADMIN_LOGIN_REDIRECT),
            data={"outcome": "note", "text": "probe"},
            content_type="form",
        ),
    ],
    # The triage console's own pages (scoped inside: see the situation and report-page tests).
    "admin/reports/submission/situation/": [Probe("GET", "/admin/reports/submission/situation/", by(200, **ADMIN_LOGIN_REDIRECT))],
    "admin/checklists/sample/results/": [
        Probe("GET", "/admin/checklists/sample/results/", by(200, **ADMIN_LOGIN_REDIRECT), note="the quick count: scoped inside")
    ],
    "admin/reports/submission/situation/points.json": [
        Probe("GET", "/admin/reports/submission/situation/points.json", by(200, **ADMIN_LOGIN_REDIRECT))
    ],
    **{
        f"admin/reports/submission/<path:object_id>/triage/{operation}/": [
            Probe("GET", f"/admin/reports/submission/{{report}}/triage/{path}/", by(405, **ADMIN_LOGIN_REDIRECT), note="POST only"),
            Probe(
                "POST",
                f"/admin/reports/submission/{{report}}/triage/{path}/",
                # Coordinators of A and superusers: done, back to the report page. Read-only
                # roles are refused; organization B does not see the report at all.
                by(302, auditor=403, platform_auditor=403, other_coordinator=404, **ADMIN_LOGIN_REDIRECT),
                data=data,
                content_type="form",
            ),
        ]
        for operation, path, data in [
            ("decide", "decide", {"status": "under_review"}),
            ("assign", "assign", {"assign_me": "1"}),
            ("note", "note", {"note": "access-matrix probe"}),
            # Before the re-run, which reconciles the report's flags with the rules.
            ("flags/<str:flag_id>", "flags/{flag}", {"decision": "confirm"}),
            ("reprocess", "reprocess", {}),
        ]
    },
}


# --- Admin model pages --------------------------------------------------------------------------
# For each registered model: the object probed (of organization A where that
# applies) and, for each staff persona, the statuses of
# (changelist, add, change, delete, history). Non-staff personas are sent to
# the admin login (302) everywhere.
NONE = (403, 403, 403, 403, 403)  # staff without any permission on the model
VIEW = (200, 403, 200, 403, 200)  # read-only: the change page shows the object without a form
HIDDEN = (200, 403, 302, 403, 302)  # may list the model, but this object is outside their scope
HIDDEN_REPORT = (200, 403, 404, 403, 302)  # the report page answers 404 for a report outside the scope
ALL = (200, 200, 200, 200, 200)
NO_ROSTER = (403, 403, 403, 403, 302)  # staff roles without the roster: refused, or the entry is not found
REPORT_SU = (200, 403, 200, 403, 200)  # nobody adds or deletes reports, not even a superuser
READONLY_SU = (200, 403, 200, 403, 200)  # audit trail and export records: append-only


def staff(coordinator, auditor, other_coordinator, platform_auditor, superuser):
    return {
        "coordinator": coordinator,
        "auditor": auditor,
        "other_coordinator": other_coordinator,
        "platform_auditor": platform_auditor,
        "superuser": superuser,
    }


ADMIN_MODELS = {
    # model: (object id key in the scene, expectations per staff persona)
    "auth.group": ("group", staff(NONE, NONE, NONE, NONE, ALL)),
    "auth.user": ("user", staff(NONE, NONE, NONE, NONE, ALL)),
    "axes.accessattempt": ("accessattempt", staff(NONE, NONE, NONE, NONE, (200, 403, 200, 200, 200))),
    "axes.accesslog": ("accesslog", staff(NONE, NONE, NONE, NONE, (200, 403, 200, 200, 200))),
    "axes.accessfailurelog": ("accessfailurelog", staff(NONE, NONE, NONE, NONE, (200, 403, 200, 200, 200))),
    # Public reference data: every staff role reads it, only superusers edit it.
    "monitoring.election": ("election_pk", staff(VIEW, VIEW, VIEW, VIEW, ALL)),
    "monitoring.region": ("region", staff(VIEW, VIEW, VIEW, VIEW, ALL)),
    "monitoring.district": ("district", staff(VIEW, VIEW, VIEW, VIEW, ALL)),
    "monitoring.pollingstation": ("station", staff(VIEW, VIEW, VIEW, VIEW, ALL)),
    # An organization's contact and its accreditation's status and reason: only their own organization's.
    "monitoring.observerorganization": ("organization", staff(VIEW, VIEW, HIDDEN, VIEW, ALL)),
    "monitoring.accreditation": ("accreditation", staff(VIEW, VIEW, HIDDEN, VIEW, ALL)),
    # People and where they are posted: only their own organization's.
    "monitoring.observer": ("observer", staff(VIEW, VIEW, HIDDEN, VIEW, ALL)),
    "monitoring.deployment": ("deployment", staff(VIEW, VIEW, HIDDEN, VIEW, ALL)),
    # Personal data: the organization's coordinators only; nobody adds (import) or deletes (deactivate).
    # (Its history page looks the entry up in the user's empty scope first: "not found", 302.)
    "roster.rosterentry": ("roster_entry", staff(VIEW, NO_ROSTER, HIDDEN, NO_ROSTER, READONLY_SU)),
    "reports.incidentcategory": ("category", staff(VIEW, VIEW, VIEW, VIEW, ALL)),
    "reports.submission": ("report", staff((200, 403, 200, 403, 200), VIEW, HIDDEN_REPORT, VIEW, REPORT_SU)),
    "reports.reportevent": ("event", staff(VIEW, VIEW, HIDDEN, VIEW, READONLY_SU)),
    "reports.exportrecord": ("export", staff(VIEW, VIEW, HIDDEN, VIEW, READONLY_SU)),
    # Forms, the quick-count sample and official results change only through their commands:
    # read-only pages, for superusers until the results page gives the staff roles their view.
    "checklists.form": ("form", staff(NONE, NONE, NONE, NONE, READONLY_SU)),
    "checklists.formversion": ("form_version", staff(NONE, NONE, NONE, NONE, READONLY_SU)),
    "checklists.sample": ("sample", staff(NONE, NONE, NONE, NONE, READONLY_SU)),
    "checklists.officialresult": ("official_result", staff(NONE, NONE, NONE, NONE, READONLY_SU)),
    # The SMS log holds phone numbers: read-only, for superusers.
    "sms.categoryshortcode": ("category_short_code", staff(NONE, NONE, NONE, NONE, READONLY_SU)),
    "sms.inboundmessage": ("inbound_sms", staff(NONE, NONE, NONE, NONE, READONLY_SU)),
    "sms.outboundmessage": ("outbound_sms", staff(NONE, NONE, NONE, NONE, READONLY_SU)),
    # The contact log: recorded from the coverage board's observer page, append-only here.
    "command.contactattempt": ("contact", staff(VIEW, VIEW, HIDDEN, VIEW, READONLY_SU)),
    # Alerts: the organization's coordinators read their own (never change or delete them)
    # and set their own organization's channels (nobody deletes those but a superuser).
    # Auditors have no access; like the roster, the history page finds nothing in their scope.
    "alerts.alertevent": ("alert_event", staff(VIEW, NO_ROSTER, HIDDEN, NO_ROSTER, READONLY_SU)),
    # Messages to observers: written by the organization's coordinators, never changed or deleted.
    "messaging.observermessage": (
        "message",
        staff((200, 200, 200, 403, 200), NO_ROSTER, (200, 200, 302, 403, 302), NO_ROSTER, (200, 200, 200, 403, 200)),
    ),
    "alerts.alertsettings": ("alert_settings", staff((200, 200, 200, 403, 200), NO_ROSTER, (200, 200, 302, 403, 302), NO_ROSTER, ALL)),
}
ADMIN_KINDS = [
    ("admin/{app}/{model}/", "/admin/{app}/{model}/", 0),
    ("admin/{app}/{model}/add/", "/admin/{app}/{model}/add/", 1),
    ("admin/{app}/{model}/<path:object_id>/change/", "/admin/{app}/{model}/{{{key}}}/change/", 2),
    ("admin/{app}/{model}/<path:object_id>/delete/", "/admin/{app}/{model}/{{{key}}}/delete/", 3),
    ("admin/{app}/{model}/<path:object_id>/history/", "/admin/{app}/{model}/{{{key}}}/history/", 4),
]


def _admin_routes() -> dict[str, list[Probe]]:
    routes = {}
    for label, (key, expectations) in ADMIN_MODELS.items():
        app, model = label.split(".")
        for pattern, path, position in ADMIN_KINDS:
            expected = dict(ADMIN_LOGIN_REDIRECT)
            expected.update({role: statuses[position] for role, statuses in expectations.items()})
            routes[pattern.format(app=app, model=model)] = [Probe("GET", path.format(app=app, model=model, key=key), expected)]
        # The bare object URL only redirects to its change page (kept for old links).
        bare = dict(ADMIN_LOGIN_REDIRECT)
        bare.update(dict.fromkeys(STAFF_ROLES, 302))
        routes[f"admin/{app}/{model}/<path:object_id>/"] = [Probe("GET", f"/admin/{app}/{model}/{{{key}}}/", bare)]
    routes["admin/auth/user/<id>/password/"] = [
        Probe("GET", "/admin/auth/user/{user}/password/", by(403, superuser=200, **ADMIN_LOGIN_REDIRECT))
    ]
    return routes


ALL_ROUTES = {**ROUTES, **_admin_routes()}


def _patterns(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def test_every_route_is_classified():
    """Fails for any route nobody has decided about yet: add it to ROUTES (or its
    model to ADMIN_MODELS) with the status every persona must get."""
    unclassified = sorted(set(_patterns()) - set(ALL_ROUTES))
    assert not unclassified, "routes missing from the access matrix:\n  " + "\n  ".join(unclassified)
    stale = sorted(set(ALL_ROUTES) - set(_patterns()))
    assert not stale, "access-matrix entries for routes that no longer exist:\n  " + "\n  ".join(stale)


@pytest.fixture
def scene(world, settings) -> Scene:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.contenttypes.models import ContentType

    settings.AXES_ENABLED = False  # the matrix logs in hundreds of times; lockout has its own tests
    cache.clear()  # throttling counters must not leak between tests
    report = file_report(world, occurred_at=timezone.now(), gps=None, photos=[jpeg_bytes()], process=False)
    flag = FlagFactory(report=report)
    export = ExportRecord.objects.create(requested_by=world.auditor.user, source="url", started_at=timezone.now(), row_count=1)
    scene = Scene(world, report, report.attachments.get(), report.events.get(), export)
    attempt = AccessAttempt.objects.create(username="someone", ip_address="127.0.0.9", failures_since_start=1, attempt_time=timezone.now())
    log = AccessLog.objects.create(username="someone", ip_address="127.0.0.9", attempt_time=timezone.now())
    failure = AccessFailureLog.objects.create(username="someone", ip_address="127.0.0.9", attempt_time=timezone.now())
    scene.ids = {
        "election": world.election.code,
        "election_pk": world.election.pk,
        "report": report.pk,
        "attachment": scene.attachment.pk,
        "report_ct": ContentType.objects.get_for_model(IncidentReport).pk,
        "group": Group.objects.get(name="Observers").pk,
        "user": world.observer.user.pk,
        "roster_entry": RosterEntry.objects.create(
            observer=world.observer,
            organization=world.observer.organization,
            external_id="A-1",
            full_name="Aigerim Nurlanova",
            phone="+77015550101",
        ).pk,
        "accessattempt": attempt.pk,
        "accesslog": log.pk,
        "accessfailurelog": failure.pk,
        "region": world.station.district.region_id,
        "district": world.station.district_id,
        "station": world.station.pk,
        "organization": world.observer.organization_id,
        "accreditation": world.accreditation.pk,
        "observer": world.observer.pk,
        "deployment": Deployment.objects.get(observer=world.observer).pk,
        "category": report.category_id,
        "event": scene.event.pk,
        "flag": flag.pk,
        "export": export.pk,
        "observer_code": world.observer.public_code,
        "contact": ContactAttempt.objects.create(
            election=world.election, observer=world.observer, recorded_by=world.coordinator.user, outcome="note"
        ).pk,
    }
    scene.ids.update(_checklists_ids(world))
    scene.ids.update(_alerts_ids(world))
    scene.ids.update(_sms_ids())
    return scene


def _sms_ids() -> dict:
    from reports.models import IncidentCategory
    from sms.models import CategoryShortCode, InboundMessage, OutboundMessage

    inbound = InboundMessage.objects.create(gateway_id="perm-1", sender="+77011234567", text="A 02001", sent_at=timezone.now())
    return {
        "category_short_code": CategoryShortCode.objects.get_or_create(
            category=IncidentCategory.objects.first(), defaults={"short_code": "ZZ"}
        )[0].pk,
        "inbound_sms": inbound.pk,
        "outbound_sms": OutboundMessage.objects.create(recipient="+77011234567", text="x", in_reply_to=inbound).pk,
    }


def _checklists_ids(world) -> dict:
    counting = json.loads((Path(__file__).resolve().parents[2] / "checklists" / "data" / "counting.json").read_text(encoding="utf-8"))
    loaded = form_load(election=world.election, document=counting)
    parties = [p["code"] for p in counting["parties"]]
    official = official_results_import(
        election=world.election, lines=[",".join(COLUMNS) + "\n"] + [f"national,{p},10,100,60\n" for p in parties]
    )
    assert official.national
    return {
        "form": loaded.form.pk,
        "form_version": loaded.version.pk,
        "sample": sample_draw(election=world.election, size=2, seed=1).sample.pk,
        "official_result": world.election.official_results.get().pk,
    }


def _alerts_ids(world) -> dict:
    from alerts.models import AlertEvent, AlertSettings

    organization = world.observer.organization
    event = AlertEvent.objects.create(
        kind="critical_report", key="probe", organization=organization, election=world.election, occurred_at=timezone.now()
    )
    from messaging.services import message_send

    message = message_send(
        sender=world.coordinator.user,
        organization_id=organization.pk,
        election_id=world.election.pk,
        audience="organization",
        texts={"en": "probe"},
    )
    return {
        "alert_event": event.pk,
        "alert_settings": AlertSettings.objects.create(organization=organization).pk,
        "message": message.pk,
    }


def _user(scene: Scene, role: str):
    if role == "anonymous":
        return None
    who = getattr(scene.world, role)
    return getattr(who, "user", who)


def _send(scene: Scene, role: str, probe: Probe):
    client = Client()
    user = _user(scene, role)
    if user is not None:
        client.force_login(user)
    ids = dict(scene.ids, username=user.get_username() if user else "")
    path = probe.path.format(**ids)
    if probe.data == "report":
        return client.post(path, report_payload(scene.world), content_type="application/json")
    if probe.data == "checkin":
        return client.post(path, checkin_payload(scene.world), content_type="application/json")
    if probe.data == "checklist":
        return client.post(path, checklist_payload(scene.world), content_type="application/json")
    if probe.method == "GET":
        return client.get(path)
    if probe.content_type == "form":
        return getattr(client, probe.method.lower())(path, probe.data or {})
    data = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in (probe.data or {}).items()}
    return getattr(client, probe.method.lower())(path, data, content_type=probe.content_type)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(scene, role):
    mismatches = []
    for pattern, probes in ALL_ROUTES.items():
        for probe in probes:
            status = _send(scene, role, probe).status_code
            if status != probe.expected[role]:
                mismatches.append(f"{probe.method} {probe.path}  [{pattern}]  expected {probe.expected[role]}, got {status}")
    assert not mismatches, f"{role}:\n  " + "\n  ".join(mismatches)


# --- Isolation by organization: what the allowed doors show ------------------------------------------


@pytest.fixture
def filed(world):
    """One report each by observer and observer_2 (organization A) and other_observer (B), all at station 02001."""
    return {
        who: str(file_report(world, observer=getattr(world, who), occurred_at=timezone.now(), gps=None, process=False).pk)
        for who in ("observer", "observer_2", "other_observer")
    }


VISIBLE = {
    "observer": {"observer"},
    "observer_2": {"observer_2"},
    "other_observer": {"other_observer"},
    "revoked_observer": set(),
    "unaccredited_observer": set(),
    "coordinator": {"observer", "observer_2"},
    "auditor": {"observer", "observer_2"},
    "other_coordinator": {"other_observer"},
    "platform_auditor": {"observer", "observer_2", "other_observer"},
    "superuser": {"observer", "observer_2", "other_observer"},
}


@pytest.mark.parametrize("role", list(VISIBLE))
def test_lists_details_stations_exports_and_admin_are_isolated_by_organization(world, filed, role, settings):
    settings.AXES_ENABLED = False
    cache.clear()
    user = _user(Scene(world, None, None, None, None), role)
    client = Client()
    client.force_login(user)
    expected = {filed[who] for who in VISIBLE[role]}

    listed = {r["id"] for r in client.get("/api/v1/reports/?limit=500").json()["results"]}
    assert listed == expected
    by_station = {r["id"] for r in client.get(f"/api/v1/reports/?station={world.station.code}&limit=500").json()["results"]}
    assert by_station == expected
    for report_id in filed.values():
        assert client.get(f"/api/v1/reports/{report_id}/").status_code == (200 if report_id in expected else 404)

    mine = {str(r.pk) for r in IncidentReport.objects.filter(pk__in=filed.values())}
    if role in ("coordinator", "auditor", "other_coordinator", "platform_auditor", "superuser"):
        export = client.get(f"/exports/reports.csv?election={world.election.code}")
        text = b"".join(export.streaming_content).decode()
        assert {i for i in mine if i in text} == expected
        changelist = client.get("/admin/reports/submission/?all=1").content.decode()
        assert {i for i in mine if f"/{i}/change/" in changelist} == expected
        observers = client.get("/admin/monitoring/observer/").content.decode()
        codes = {who: getattr(world, who).public_code for who in filed}
        assert {who for who, code in codes.items() if code in observers} == (
            set(filed) if role in ("platform_auditor", "superuser") else VISIBLE[role]
        )


@pytest.mark.parametrize("role", list(VISIBLE))
def test_checkins_are_isolated_by_organization_like_reports(world, role):
    """The check-ins list is scoped exactly like the reports list."""
    checkins = {
        who: str(CheckInFactory(election=world.election, station=world.station, submitted_by=getattr(world, who)).pk)
        for who in ("observer", "observer_2", "other_observer")
    }
    client = Client()
    client.force_login(_user(Scene(world, None, None, None, None), role))
    listed = {c["id"] for c in client.get(f"/api/v1/checkins/?election={world.election.code}&limit=500").json()["results"]}
    assert listed == {checkins[who] for who in VISIBLE[role]}


def test_web_my_reports_page_shows_only_the_observers_own(world, filed, client):
    client.force_login(world.observer_2.user)
    page = client.get("/reports/").content.decode()
    uuids = {who: str(IncidentReport.objects.get(pk=pk).client_uuid) for who, pk in filed.items()}
    assert page.count('class="report status-') == 1
    assert uuids["observer_2"] in page
    assert uuids["observer"] not in page and uuids["other_observer"] not in page


def test_admin_search_cannot_reach_another_organizations_reports(world, filed, client):
    client.force_login(world.other_coordinator.user)
    page = client.get("/admin/reports/submission/", {"q": world.station.code}).content.decode()
    assert f"/{filed['observer']}/change/" not in page and f"/{filed['other_observer']}/change/" in page
    injected = client.get("/admin/reports/submission/", {"q": "' OR 1=1 --"})
    assert injected.status_code == 200 and f"/{filed['observer']}/change/" not in injected.content.decode()
