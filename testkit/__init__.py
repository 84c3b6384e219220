"""What tests and benchmarks share: factories, a bulk report generator, the
seed of a private database, and helpers that start real processes and services
(PostgreSQL, Redis, gunicorn, Celery) and talk HTTP to them.

Neither tests/ nor bench/ is imported from here, and neither imports the other."""
