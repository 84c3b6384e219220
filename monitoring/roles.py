"""Roles are Django groups, so the admin's permission system enforces them.

Observers have no admin access; coordinators triage their organization's
reports; auditors only read. Which rows each role sees is scoped in the
selectors and in the admin (organization isolation); these permissions decide
which *kinds* of object and action they get at all."""

ROLE_GROUPS = {
    "observer": "Observers",
    "coordinator": "Coordinators",
    "auditor": "Auditors",
}

_READ_MONITORING = [
    ("monitoring", "view_election"),
    ("monitoring", "view_region"),
    ("monitoring", "view_district"),
    ("monitoring", "view_pollingstation"),
    ("monitoring", "view_observerorganization"),
    ("monitoring", "view_accreditation"),
    ("monitoring", "view_observer"),
    ("monitoring", "view_deployment"),
]
_READ_REPORTS = [
    ("reports", "view_incidentcategory"),
    ("reports", "view_submission"),
    ("reports", "view_attachment"),
    ("reports", "view_flag"),
    ("reports", "view_reportevent"),
    ("reports", "view_exportrecord"),
]

# Personal data: the organization's coordinators only (auditors never see the roster).
_ROSTER = [("roster", "view_rosterentry"), ("roster", "change_rosterentry")]

# Alerts (the alerts app): the coordinators see their organization's alerts and set its channels.
_ALERTS = [
    ("alerts", "view_alertevent"),
    ("alerts", "view_alertdelivery"),
    ("alerts", "view_alertsettings"),
    ("alerts", "add_alertsettings"),
    ("alerts", "change_alertsettings"),
]
# Messages to observers (the messaging app): the coordinators write and read them.
_MESSAGES = [("messaging", "view_observermessage"), ("messaging", "add_observermessage")]

ROLE_PERMISSIONS = {
    "observer": [],
    "coordinator": _READ_MONITORING
    + _READ_REPORTS
    + _ROSTER
    + _ALERTS
    + _MESSAGES
    + [("reports", "change_submission"), ("reports", "change_flag")],
    "auditor": _READ_MONITORING + _READ_REPORTS,
}

# Roles that work in the Django admin.
STAFF_ROLES = {"coordinator", "auditor"}
