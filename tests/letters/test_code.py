"""The letter code: HF + Crockford base32 of the id + a check character that refuses typing mistakes."""

from __future__ import annotations

import pytest

from server.errors import HuifangError
from server.letters.services import ALPHABET, code_for, parse_code


@pytest.mark.parametrize("letter_id", [1, 31, 32, 1023, 1024, 99_999, 2**31 - 1])
def test_a_code_reads_back_as_itself(letter_id):
    code = code_for(letter_id)
    assert code.startswith("HF") and len(code) >= 7
    assert set(code[2:]) <= set(ALPHABET)
    assert parse_code(code) == code


def test_codes_are_short_and_distinct():
    codes = {code_for(i) for i in range(1, 5000)}
    assert len(codes) == 4999
    assert max(len(c) for c in codes) == 7  # HF + four characters + check


def test_the_way_people_type_a_code_is_accepted():
    code = code_for(12345)
    assert parse_code(code.lower()) == code
    assert parse_code(f" {code[:4]}-{code[4:]} ") == code
    zero = next(c for c in (code_for(i) for i in range(1, 200)) if "0" in c[2:])
    assert parse_code(zero[:2] + zero[2:].replace("0", "O")) == zero  # O read as zero (Crockford)


def test_every_single_mistyped_character_is_refused():
    code = code_for(4242)
    for position in range(2, len(code)):
        for char in ALPHABET:
            if char == code[position]:
                continue
            typo = code[:position] + char + code[position + 1 :]
            with pytest.raises(HuifangError) as raised:
                parse_code(typo)
            assert raised.value.code == "letter_code_invalid" and raised.value.status == 422


def test_most_swapped_neighbours_are_refused():
    refused = total = 0
    for letter_id in range(1, 400):
        code = code_for(letter_id)
        for i in range(2, len(code) - 1):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            total += 1
            try:
                parse_code(swapped)
            except HuifangError:
                refused += 1
    assert refused / total > 0.95


@pytest.mark.parametrize("text", ["", "HF", "XX00017", "HF0U01A", "HF" + "1" * 20, "HF-!!"])
def test_malformed_codes_are_refused(text):
    with pytest.raises(HuifangError) as raised:
        parse_code(text)
    assert raised.value.code == "letter_code_invalid"
