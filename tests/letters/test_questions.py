"""Which questions a letter prints, and how (pure: a definition and the policy facts in, sections out)."""

from __future__ import annotations

from server.letters.services import _letter_sections

FACTS = {
    "holder_name": "王秀兰",
    "product_name": "鑫福年年终身寿险",
    "regular_premium": False,
    "channel": "bank",
}

DEFINITION = {
    "sections": [
        {
            "id": "a",
            "title": "一",
            "questions": [
                {"id": "present", "type": "yes_no", "text": "您是{holder_name}本人吗？"},
                {
                    "id": "topics",
                    "type": "multiple_choice",
                    "text": "哪些内容不清楚？",
                    "choices": [
                        {"value": "liability", "label": "保险责任"},
                        {"value": "fees", "label": "费用"},
                    ],
                },
                {
                    "id": "explain_fees",
                    "type": "statement",
                    "text": "费用说明",
                    "relevant": {"in": ["fees", {"var": "answers.topics"}]},
                },
                {"id": "photo", "type": "photo", "text": "拍照"},
                {"id": "sign", "type": "signature", "signer": "holder", "text": "签名"},
            ],
        },
        {
            "id": "premium",
            "title": "交费",
            "relevant": {"===": [{"var": "policy.regular_premium"}, True]},
            "questions": [{"id": "period", "type": "statement", "text": "交费期间"}],
        },
        {
            "id": "bank",
            "title": "银行",
            "relevant": {"===": [{"var": "policy.channel"}, "bank"]},
            "questions": [
                {"id": "deposit", "type": "yes_no", "text": "是否说过是存款？"},
                {"id": "when", "type": "date", "text": "何时购买？"},
                {"id": "amount", "type": "number", "text": "交了多少？", "unit": "元"},
                {"id": "remarks", "type": "text", "text": "其他意见"},
                {"id": "id4", "type": "identity_check", "text": "请出示证件", "digits": 4},
            ],
        },
    ]
}


def test_questions_follow_the_policy_and_mark_those_that_depend_on_answers():
    sections = _letter_sections(DEFINITION, FACTS)
    assert [s["title"] for s in sections] == ["一", "银行"]  # single premium: no premium section
    first = sections[0]["questions"]
    assert [q["number"] for q in first] == [1, 2, 3]  # no photo, no signature box among the questions
    assert first[0]["text"] == "您是王秀兰本人吗？" and first[0]["choices"] == ["是", "否"]
    assert first[1]["multiple"] is True and first[1]["choices"] == ["保险责任", "费用"]
    assert first[2]["condition"] == "本题视您对第 2 题的回答而定；如不适用，可不填写。"
    assert "condition" not in first[0]
    kinds = [(q["number"], q["kind"]) for q in sections[1]["questions"]]
    assert kinds == [(4, "choices"), (5, "date"), (6, "number"), (7, "lines"), (8, "digits")]
    assert sections[1]["questions"][4]["digits"] == 4 and "投保人" in sections[1]["questions"][4]["text"]
