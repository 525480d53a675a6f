"""Field encryption and blind indexes, with keys kept outside the database.

Sensitive values (identifier numbers, phones, emails, addresses) are stored encrypted
with Fernet (AES-128-CBC + HMAC-SHA256). Each stored value starts with the id of the
key that encrypted it, so `hms keys rotate` can re-encrypt what an older key wrote.

Encrypted values cannot be searched, so exact-match search goes through a blind index:
an HMAC-SHA256 of the normalised value under a separate index key. The index reveals
when two rows hold the same value (that is its purpose) but not the value itself.

Keys come from HMS_FIELD_KEYS / HMS_INDEX_KEY in the environment, or else from
`<data folder>/keys.json`, written once with mode 0600 on first use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class UndecryptableValue(Exception):
    """A stored value names a key this installation does not hold."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, Fernet]  # key id -> Fernet, insertion order oldest to newest
    current_id: str
    index_key: bytes

    @property
    def current(self) -> Fernet:
        return self.keys[self.current_id]


def _key_file() -> Path:
    return Path(settings.DATA_DIR) / "keys.json"


def _new_key_entry(existing: list[dict[str, str]]) -> dict[str, str]:
    number = 1 + max((int(k["id"].lstrip("k")) for k in existing), default=0)
    return {"id": f"k{number}", "key": Fernet.generate_key().decode()}


def _write_key_file(data: dict) -> None:
    path = _key_file()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    tmp.replace(path)


def _load_key_data() -> dict:
    env_keys = os.environ.get("HMS_FIELD_KEYS")
    if env_keys:
        # "k1:base64key,k2:base64key": the last one encrypts, all decrypt.
        entries = []
        for item in env_keys.split(","):
            key_id, _, key = item.strip().partition(":")
            entries.append({"id": key_id, "key": key})
        index_key = os.environ.get("HMS_INDEX_KEY", "")
        if not index_key:
            raise RuntimeError("HMS_FIELD_KEYS is set but HMS_INDEX_KEY is not.")
        return {"keys": entries, "index_key": index_key}
    path = _key_file()
    if not path.exists():
        data = {"keys": [_new_key_entry([])], "index_key": secrets.token_urlsafe(32)}
        # Written whole under a private name, then linked into place: a process
        # starting at the same moment sees either no file or a complete one, and
        # only the first link wins.
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process wrote it first
        finally:
            tmp.unlink()
    return json.loads(path.read_text())


@cache
def keyring() -> Keyring:
    data = _load_key_data()
    keys = {entry["id"]: Fernet(entry["key"].encode()) for entry in data["keys"]}
    return Keyring(
        keys=keys, current_id=data["keys"][-1]["id"], index_key=data["index_key"].encode()
    )


def add_key() -> str:
    """Append a new current key to the key file; returns its id. Older keys still decrypt."""
    if os.environ.get("HMS_FIELD_KEYS"):
        raise RuntimeError("Keys come from HMS_FIELD_KEYS: add the new key there instead.")
    data = _load_key_data()
    entry = _new_key_entry(data["keys"])
    data["keys"].append(entry)
    _write_key_file(data)
    keyring.cache_clear()
    return entry["id"]


def remove_key(key_id: str) -> None:
    """Drop a retired key from the key file. The caller checks that nothing uses it."""
    if os.environ.get("HMS_FIELD_KEYS"):
        raise RuntimeError("Keys come from HMS_FIELD_KEYS: remove the key there instead.")
    data = _load_key_data()
    remaining = [k for k in data["keys"] if k["id"] != key_id]
    if len(remaining) == len(data["keys"]):
        raise KeyError(key_id)
    if not remaining or data["keys"][-1]["id"] == key_id:
        raise ValueError("The current key cannot be retired.")
    data["keys"] = remaining
    _write_key_file(data)
    keyring.cache_clear()


def encrypt(value: str) -> str:
    return encrypt_bytes(value.encode())


def encrypt_bytes(data: bytes) -> str:
    ring = keyring()
    return f"{ring.current_id}:{ring.current.encrypt(data).decode()}"


def key_id_of(stored: str) -> str:
    return stored.partition(":")[0]


def decrypt(stored: str) -> str:
    return decrypt_bytes(stored).decode()


def decrypt_bytes(stored: str) -> bytes:
    key_id, _, token = stored.partition(":")
    ring = keyring()
    fernet = ring.keys.get(key_id)
    if fernet is None:
        # Another process may have rotated the keys since this one read them.
        keyring.cache_clear()
        fernet = keyring().keys.get(key_id)
    if fernet is None:
        raise UndecryptableValue(f"Value encrypted with unknown key {key_id!r}.")
    try:
        return fernet.decrypt(token.encode())
    except InvalidToken as exc:
        raise UndecryptableValue(f"Value does not decrypt with key {key_id!r}.") from exc


def reencrypt(stored: str) -> str:
    """`stored` encrypted again with the current key. Works on the bytes, so binary
    values (photos) rotate as text values do."""
    return encrypt_bytes(decrypt_bytes(stored))


_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_BASE32_PAIRS = [a + b for a in _BASE32 for b in _BASE32]  # ten bits -> two characters


def blind_index(value: str, *, kind: str) -> str:
    """Keyed hash for exact-match search; `kind` keeps e.g. phones and IDs apart."""
    digest = hmac.digest(keyring().index_key, f"{kind}\x1f{value}".encode(), hashlib.sha256)
    # The first 160 bits as lower-case base32, 32 characters. Encoded here, ten bits at
    # a time, rather than by base64.b32encode, which is written in Python and takes
    # twice as long: a bulk import computes millions of these.
    bits = int.from_bytes(digest[:20], "big")
    return "".join([_BASE32_PAIRS[(bits >> shift) & 0x3FF] for shift in range(150, -1, -10)])
