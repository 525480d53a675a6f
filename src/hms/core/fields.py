"""Model fields shared by every app."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from hms.core import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted at rest (see hms.core.crypto). Not searchable: pair it with a
    blind-index column for exact-match lookups."""

    description = "Encrypted text"

    def from_db_value(self, value: str | None, expression, connection) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (dict or list) encrypted at rest."""

    description = "Encrypted JSON"

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return json.loads(text) if text else None

    def to_python(self, value):
        if isinstance(value, str) and value:
            return json.loads(value)
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        # Not through super(): TextField.get_prep_value calls to_python, which would
        # parse the JSON text back into a dict before it is encrypted.
        return crypto.encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))


class EncryptedBinaryField(EncryptedTextField):
    """Bytes (an image) encrypted at rest. The column holds the same "<key id>:<Fernet
    token>" text as EncryptedTextField, so `hms keys status` counts it and `hms keys
    rotate` re-encrypts it with no code of its own. Fernet's token is base64, a third
    larger than the bytes: keep what goes in small (see hms.patients.images)."""

    description = "Encrypted bytes"

    def from_db_value(self, value, expression, connection) -> bytes | None:
        if value is None or value == "":
            return None
        return crypto.decrypt_bytes(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None or value == b"":
            return None
        # Not through super(): TextField.get_prep_value would turn bytes into "b'...'".
        return crypto.encrypt_bytes(bytes(value))
