"""The coverage board and the contact log in the admin: `board.py` (the board,
its map points and the observer's page, hung on the contact log's admin) and
`contact_log.py` (the log's read-only admin, and its inline on the
observer's admin page)."""

from . import contact_log  # noqa: F401  (registers the admins)
