"""Indexes the search needs on other domains' tables (the tables and their own indexes live there).

Declared here, beside the queries that use them, so that the search owns what it costs; Alembic sees
them in the metadata like any other index.
"""

from sqlalchemy import Index

from server.visits.models import Visit

# Visits newest first (keyset on received_at, uuid): the search's and the export's order.
Index("ix_visit_received", Visit.__table__.c.received_at, Visit.__table__.c.uuid)
