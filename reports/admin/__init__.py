"""The coordinators' triage console (Django admin), one module per room:

- `queue`: the triage queue (the changelist of the submissions hub: incident
  reports, and check-ins with a flag): worst first, fast on a big table,
  scoped to the user's organization; `list_filters` holds its
  filters (the export's parameters, same names and meaning) and `actions` its
  bulk actions.
- `report_page`: a report's page, in place of the change form: the evidence
  read-only, geotag, photos, flags, related reports, audit trail, triage panel.
- `triage`: the panel's operations, one view and URL each (decide, assign,
  note, re-run the pipeline, decide on a flag).
- `situation_page`: counts, charts and map of an election, refreshing itself.
- `records`: the taxonomy, the audit trail and the export records.

Every write is a thin adapter over a service, which checks the permission for
each report and records a ReportEvent or an ExportRecord. Admin autodiscovery
imports this package; importing the modules registers their ModelAdmins.
"""

from . import queue, records  # noqa: F401
