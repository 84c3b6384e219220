"""Business operations on reports, one module per family; callers import the
module they need (there is no re-exporting here):

- `intake`: an observer files a report; `pipeline`: the worker's run and a
  coordinator's re-run; `sweeper`: what the broker lost, enqueued again;
- `triage`: coordinators' decisions; `exports`: the CSV export behind every door;
- `neighbours` and `bulk`: helpers those share (cluster locks and the
  neighbours' flags; one operation per report of a selection).
"""
