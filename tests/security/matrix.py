"""The authorization matrix: for every endpoint, who may call it and how its data is scoped.

One row per endpoint of the URL map. tests/security/test_matrix.py fails, naming the endpoint, when
an endpoint has no row (a new endpoint needs a decision here first), when a row names an endpoint
that no longer exists, and when the roles a view declares (``@public``, ``@roles_required``) differ
from its row. It then calls every endpoint as every role; test_scope_matrix.py calls the scoped
ones with real records from the caller's own institution, a child, a sibling and a parent.

Scope kinds:

- PUBLIC: no token (sign-in, health, the PWA shell, the docs; signed inbound calls check an HMAC).
- GLOBAL: the same for every caller whatever its institution (questionnaires, the calendar,
  reference lists). Rows say why when the data has an institution.
- OWN: the caller's own things (``/me``, a specialist's sync).
- ONE: one record named in the URL; outside the caller's subtree it answers 404 like a missing one.
- LIST: rows (or figures) of the caller's subtree only; never a row from outside.
- SUBTREE_WRITE: a change whose targets come in the body (institution, task ids, ...); a target
  outside the subtree is refused (403 out_of_scope or 404).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.users.roles import (
    ADMIN,
    COMPLIANCE_OFFICER,
    DESIGNER,
    PHONE_AGENT,
    REVIEWER,
    ROLES,
    SPECIALIST,
    SUPERVISOR,
)

PUBLIC, GLOBAL, OWN, ONE, LIST, SUBTREE_WRITE = "public", "global", "own", "one", "list", "subtree_write"
ANYONE = "authenticated"  # any signed-in user, whatever the role

ALL_ROLES = frozenset(ROLES)
OFFICE = frozenset({ADMIN, SUPERVISOR, REVIEWER, PHONE_AGENT, COMPLIANCE_OFFICER})
MANAGERS = frozenset({ADMIN, SUPERVISOR, REVIEWER, COMPLIANCE_OFFICER})  # stats, overdue, cases
CASE_WRITERS = MANAGERS
REVIEW_READERS = frozenset({ADMIN, SUPERVISOR, REVIEWER})
EVIDENCE_READERS = frozenset({ADMIN, REVIEWER, COMPLIANCE_OFFICER})
RISK = frozenset({ADMIN, SUPERVISOR, COMPLIANCE_OFFICER})
DESIGNERS = frozenset({ADMIN, DESIGNER})
CATEGORY_EDITORS = frozenset({ADMIN, COMPLIANCE_OFFICER})
AGENTS = frozenset({ADMIN, PHONE_AGENT})
LETTER_SENDERS = frozenset({ADMIN, SUPERVISOR, PHONE_AGENT})
SCAN_UPLOADERS = frozenset({ADMIN, SUPERVISOR, PHONE_AGENT, REVIEWER})
ADMINS = frozenset({ADMIN})
SPECIALISTS = frozenset({SPECIALIST})
TEAM_LEADS = frozenset({ADMIN, SUPERVISOR})
RECONTACT = frozenset({ADMIN, SUPERVISOR, PHONE_AGENT})
DECIDERS = frozenset({ADMIN, REVIEWER})
CHAIN_CHECKERS = frozenset({ADMIN, COMPLIANCE_OFFICER})


@dataclass(frozen=True)
class Decision:
    roles: str | frozenset[str]  # PUBLIC, ANYONE, or the roles that may call
    scope: str
    why: str = ""


D = Decision

MATRIX: dict[str, Decision] = {
    # Sign-in and the caller itself
    "auth.login": D(PUBLIC, PUBLIC, "rate limited and locked out (server.security)"),
    "auth.refresh": D(PUBLIC, PUBLIC, "the refresh token is the credential; rate limited"),
    "auth.logout": D(PUBLIC, PUBLIC, "the refresh token is the credential"),
    "auth.me": D(ANYONE, OWN),
    # Passkeys (WebAuthn): each user's own; another user's id answers 404 like a missing one
    "passkeys.list_passkeys": D(ANYONE, OWN),
    "passkeys.register_options": D(ANYONE, OWN),
    "passkeys.register": D(ANYONE, OWN, "the credential is verified against a challenge made for the caller"),
    "passkeys.rename_passkey": D(ANYONE, OWN, "only the caller's own passkeys; others answer 404"),
    "passkeys.remove_passkey": D(ANYONE, OWN, "only the caller's own passkeys; others answer 404"),
    "passkeys.login_options": D(PUBLIC, PUBLIC, "a challenge; unknown usernames get a decoy"),
    "passkeys.login": D(PUBLIC, PUBLIC, "the signed assertion is the credential; rate limited, locked out"),
    "health.health": D(PUBLIC, PUBLIC),
    # The PWA shell, the API document and its viewers
    "web.landing": D(PUBLIC, PUBLIC),
    "web.field_app": D(PUBLIC, PUBLIC),
    "web.console": D(PUBLIC, PUBLIC),
    "web.assets": D(PUBLIC, PUBLIC),
    "web.doc_assets": D(PUBLIC, PUBLIC),
    "api-docs.openapi_json": D(PUBLIC, PUBLIC),
    "api-docs.openapi_swagger_ui": D(PUBLIC, PUBLIC),
    "api-docs.openapi_redoc": D(PUBLIC, PUBLIC),
    # Institutions and users (R2, R3)
    "institutions.list_institutions": D(ANYONE, LIST),
    "institutions.create_institution": D(ADMINS, SUBTREE_WRITE),
    "institutions.update_institution": D(ADMINS, ONE),
    "users.list_roles": D(ANYONE, GLOBAL),
    "users.list_users": D(ADMINS, LIST),
    "users.create_user": D(ADMINS, SUBTREE_WRITE),
    "users.get_user": D(ADMINS, ONE),
    "users.update_user": D(ADMINS, ONE),
    "users.set_password": D(ADMINS, ONE),
    # Devices of the subtree's users; revoking one ends its sign-ins and wipes the field app
    "devices.list_devices": D(TEAM_LEADS, LIST),
    "devices.revoke_device": D(TEAM_LEADS, ONE),
    # The audit log (issue #11): events of the admin's subtree; no-institution events at the top only
    "audit.list_events": D(ADMINS, LIST),
    # The working-day calendar: one for the province
    "calendar.get_year": D(ANYONE, GLOBAL),
    "calendar.add_workdays": D(ANYONE, GLOBAL),
    "calendar.enter_year": D(ADMINS, GLOBAL, "the holiday table is the province's"),
    "calendar.set_day": D(ADMINS, GLOBAL, "the holiday table is the province's"),
    "calendar.clear_day": D(ADMINS, GLOBAL, "the holiday table is the province's"),
    # Policies and salespersons (R4, R5)
    "policies.list_policies": D(OFFICE, LIST),
    "policies.get_policy": D(OFFICE, ONE),
    "policies.upsert_policy": D(ADMINS, SUBTREE_WRITE),
    "policies.upsert_batch": D(ADMINS, SUBTREE_WRITE),
    "policies.list_salespersons": D(OFFICE, LIST),
    "policies.upsert_salesperson": D(ADMINS, SUBTREE_WRITE),
    "policies.upsert_salespersons": D(ADMINS, SUBTREE_WRITE),
    # Intake (R1)
    "intake.post_batch": D(ADMINS, SUBTREE_WRITE),
    "intake.upload_file": D(ADMINS, SUBTREE_WRITE),
    "intake.list_batches": D(ADMINS, LIST),
    "intake.get_batch": D(ADMINS, ONE),
    "intake.confirm_batch": D(ADMINS, ONE),
    "intake.list_errors": D(ADMINS, ONE),
    "intake.errors_csv": D(ADMINS, ONE),
    "intake.errors_xlsx": D(ADMINS, ONE),
    # Tasks (R8, R12-R15); a specialist sees only the tasks assigned to them
    "tasks.list_tasks": D(ANYONE, LIST),
    "tasks.get_task": D(ANYONE, ONE),
    "tasks.team_load": D(TEAM_LEADS, LIST),
    "tasks.assign": D(TEAM_LEADS, SUBTREE_WRITE),
    "tasks.auto_assign": D(TEAM_LEADS, SUBTREE_WRITE),
    "tasks.recontact": D(RECONTACT, ONE),
    "tasks.cancel": D(TEAM_LEADS, ONE),
    "risk.list_alerts": D(RISK, LIST),
    "risk.get_alert": D(RISK, ONE),
    "risk.update_alert": D(RISK, ONE),
    # Questionnaires: the province's definitions, used by every institution
    "questionnaires.list_questionnaires": D(ANYONE, GLOBAL),
    "questionnaires.catalog": D(ANYONE, GLOBAL),
    "questionnaires.definition_schema": D(ANYONE, GLOBAL),
    "questionnaires.get_questionnaire": D(ANYONE, GLOBAL),
    "questionnaires.published_by_code": D(ANYONE, GLOBAL),
    "questionnaires.get_version": D(ANYONE, GLOBAL),
    "questionnaires.export_version": D(ANYONE, GLOBAL),
    "questionnaires.diff_versions": D(ANYONE, GLOBAL),
    "questionnaires.preview": D(ANYONE, GLOBAL, "evaluates a sample answer set; stores nothing"),
    "questionnaires.create_questionnaire": D(DESIGNERS, GLOBAL),
    "questionnaires.import_definition": D(DESIGNERS, GLOBAL),
    "questionnaires.check_definition": D(DESIGNERS, GLOBAL),
    "questionnaires.new_draft": D(DESIGNERS, GLOBAL),
    "questionnaires.update_version": D(DESIGNERS, GLOBAL),
    "questionnaires.delete_version": D(DESIGNERS, GLOBAL),
    "questionnaires.publish": D(DESIGNERS, GLOBAL),
    "questionnaires.retire": D(DESIGNERS, GLOBAL),
    "questionnaires.list_problem_categories": D(ANYONE, GLOBAL),
    "questionnaires.create_problem_category": D(CATEGORY_EDITORS, GLOBAL),
    "questionnaires.update_problem_category": D(CATEGORY_EDITORS, GLOBAL),
    # Offline sync: a specialist's own tasks and visits
    "sync.record_schema": D(ANYONE, GLOBAL),
    "sync.pull": D(ANYONE, OWN),
    "sync.push": D(SPECIALISTS, OWN),
    "sync.visit_status": D(SPECIALISTS, OWN),
    "sync.media_state": D(SPECIALISTS, OWN, "content-addressed: says only whether a blob is stored"),
    "sync.upload_chunk": D(SPECIALISTS, OWN),
    # Received visits and their evidence
    "visits.list_visits": D(ANYONE, LIST),
    "visits.get_visit": D(ANYONE, ONE),
    "visits.media": D(ANYONE, ONE),
    "visits.signature": D(ANYONE, ONE),
    "evidence.verify_visit": D(OFFICE, ONE),
    "evidence.signature_similarity": D(OFFICE, ONE),
    "evidence.report": D(EVIDENCE_READERS, ONE),
    "evidence.bundle": D(EVIDENCE_READERS, ONE),
    "evidence.verify_chain": D(CHAIN_CHECKERS, GLOBAL, "hashes and counts of the one log, no record"),
    # Review, confirming callbacks, letters, cases, overdue (R11-R16)
    "review.review_queue": D(REVIEW_READERS, LIST),
    "review.reasons": D(REVIEW_READERS, GLOBAL),
    "review.review_visit": D(REVIEW_READERS, ONE),
    "review.decide": D(DECIDERS, ONE),
    "callbacks.list_callbacks": D(OFFICE, LIST),
    "callbacks.get_callback": D(OFFICE, ONE),
    "callbacks.next_call": D(AGENTS, LIST),
    "callbacks.create_first_calls": D(TEAM_LEADS, SUBTREE_WRITE, "policies named in the body, 404 outside"),
    "callbacks.recontact": D(TEAM_LEADS, ONE),
    "callbacks.record_attempt": D(AGENTS, ONE),
    "callbacks.put_recording": D(AGENTS, ONE),
    "callbacks.get_recording": D(OFFICE, ONE),
    "callbacks.external_outcome": D(PUBLIC, PUBLIC, "signed by the call centre (HMAC), no token"),
    "letters.reasons": D(OFFICE, GLOBAL),
    "letters.create_letter": D(LETTER_SENDERS, SUBTREE_WRITE),
    "letters.list_letters": D(OFFICE, LIST),
    "letters.get_letter": D(OFFICE, ONE),
    "letters.by_code": D(OFFICE, ONE),
    "letters.letter_pdf": D(OFFICE, ONE),
    "letters.record_mailing": D(LETTER_SENDERS, ONE),
    "letters.upload_scan": D(SCAN_UPLOADERS, ONE),
    "letters.get_scan": D(OFFICE, ONE),
    "letters.decide": D(DECIDERS, ONE),
    "letters.cancel": D(TEAM_LEADS, ONE),
    "cases.list_cases": D(OFFICE, LIST),
    "cases.get_case": D(OFFICE, ONE),
    "cases.create_case": D(CASE_WRITERS, SUBTREE_WRITE),
    "cases.update_case": D(CASE_WRITERS, ONE),
    "cases.resolve_case": D(CASE_WRITERS, ONE),
    "overdue.overdue": D(MANAGERS, LIST),
    # Search, exports and statistics
    "search.search_policies": D(OFFICE, LIST),
    "search.export_policies": D(OFFICE, LIST),
    "search.search_tasks": D(OFFICE, LIST),
    "search.export_tasks": D(OFFICE, LIST),
    "search.search_visits": D(OFFICE, LIST),
    "search.export_visits": D(OFFICE, LIST),
    "search.search_callbacks": D(OFFICE, LIST),
    "search.export_callbacks": D(OFFICE, LIST),
    "search.search_cases": D(OFFICE, LIST),
    "search.export_cases": D(OFFICE, LIST),
    "stats.overview": D(MANAGERS, LIST),
    "stats.problems": D(MANAGERS, LIST),
    "stats.monthly_report": D(MANAGERS, LIST),
    # The outbox (operators)
    "outbox.list_jobs": D(ADMINS, LIST),
    "outbox.stats": D(ADMINS, LIST),
    "outbox.replay": D(ADMINS, ONE),
}
