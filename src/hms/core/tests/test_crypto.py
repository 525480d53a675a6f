"""Field encryption and blind indexes (hms.core.crypto)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from hms.core import crypto


@pytest.mark.parametrize("value", ["", "+254712345678", "national_id|23456789", "Zoë ✓"])
def test_blind_index_is_the_hmac_in_lower_case_base32(value):
    # given: what every stored index was computed as
    digest = hmac.new(crypto.keyring().index_key, f"phone\x1f{value}".encode(), hashlib.sha256)
    expected = base64.b32encode(digest.digest()[:20]).decode().rstrip("=").lower()

    # when / then
    assert crypto.blind_index(value, kind="phone") == expected


def test_encrypted_values_decrypt_and_differ_each_time():
    # when
    first, second = crypto.encrypt("+254712345678"), crypto.encrypt("+254712345678")

    # then
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "+254712345678"
