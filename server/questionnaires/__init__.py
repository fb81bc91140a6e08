"""Questionnaires (R6–R10, R14, R15): versioned definitions, relevance logic, built-in province templates.

Pure parts (no Flask, no database) that the sync push and the tablet's twin in
``pwa/src/shared/questionnaire/`` share by test vectors: ``logic`` (JSONLogic), ``placeholders``,
``fields`` (one class per question type), ``definition`` (checks and diff) and ``submission``
(``validate_submission``). The rest (``models``, ``services``, ``api``) is the usual domain.
"""
