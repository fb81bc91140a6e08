"""A signature box for one signer: holder (投保人), insured (被保险人) or specialist (客户服务专员).

Signatures are not answers: they travel in the visit's ``signatures`` mapping keyed by signer (strokes
and rendering belong to ``signatures/``). A relevant signature question makes its signer required.
"""

from __future__ import annotations

from server.questionnaires.fields.base import Field, register

SIGNERS = {
    "holder": ("投保人", "Policyholder"),
    "insured": ("被保险人", "Insured"),
    "specialist": ("客户服务专员", "Specialist"),
}


@register
class Signature(Field):
    name = "signature"
    label = "签名"
    label_en = "Signature"
    answered = False
