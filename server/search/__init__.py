"""Callback search (R4 回访查询): policies, visit tasks, visits, problem cases and phone callbacks.

One set of filters for every kind (policy number, holder or insured name, ID number by its keyed
hash, phone, status, item, source, dates, institution subtree), keyset pages, personal data masked by
role, and streamed CSV/XLSX exports that are audited.
"""
