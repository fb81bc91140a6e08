"""Indexes the statistics need on other domains' tables: each dataset is counted by the month of
its own date (tasks and cases by when they were opened, callbacks by when they were created), so a
month's statistics read that month's rows through these, not the whole table. Visits are counted by
``received_at`` through server/search's ``ix_visit_received``.
"""

from sqlalchemy import Index

from server.callbacks.models import PhoneCallback
from server.cases.models import ProblemCase
from server.tasks.models import VisitTask

Index("ix_visit_task_created", VisitTask.__table__.c.created_at)
Index("ix_problem_case_created", ProblemCase.__table__.c.created_at)
Index("ix_phone_callback_created", PhoneCallback.__table__.c.created_at)
