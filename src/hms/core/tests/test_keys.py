"""`hms keys`: rotation of the field-encryption keys, status, retiring a key."""

from __future__ import annotations

import json
import multiprocessing

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from hms.core import crypto, keys

# By name, not imported: core knows no domain app (import-linter), but the patients'
# encrypted columns are the ones there are to rotate.
Patient = apps.get_model("patients", "Patient")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def key_folder(tmp_path, settings, monkeypatch):
    """A data folder of its own: keys.json starts with one key, k1."""
    monkeypatch.delenv("HMS_FIELD_KEYS", raising=False)
    monkeypatch.delenv("HMS_INDEX_KEY", raising=False)
    settings.DATA_DIR = tmp_path
    crypto.keyring.cache_clear()
    yield tmp_path
    crypto.keyring.cache_clear()


def add_patient(facility, n: int, **fields):
    fields.setdefault("phone", f"+2547123456{n:02d}")
    patient = Patient.objects.create(
        facility=facility,
        mrn=f"T{n:09d}",
        given_name=f"Amina{n}",
        family_name="Hassan",
        sex="female",
        phone_index=crypto.blind_index(fields["phone"], kind="phone"),
        **fields,
    )
    patient.identifiers.create(
        facility=facility, system="national_id", value=f"3030{n:04d}", value_index=f"index{n}"
    )
    patient.contacts.create(name="Omar Hassan", relationship="brother", phone="+254722000111")
    return patient


@pytest.fixture
def patients(facility) -> list:
    return [
        add_patient(facility, n, email=f"amina{n}@example.org", address={"city": "Mombasa"})
        for n in range(5)
    ]


def key_ids_in_use() -> dict[str, int]:
    """Key id -> values, read straight from the encrypted columns."""
    found: dict[str, int] = {}
    for column in keys.encrypted_columns():
        table, col, _ = column.sql()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {col} FROM {table} WHERE {col} <> ''")  # noqa: S608
            for (raw,) in cursor.fetchall():
                if raw:
                    key_id = raw.partition(":")[0]
                    found[key_id] = found.get(key_id, 0) + 1
    return found


def stored_phone(patient) -> str:
    """The phone column as stored: the key id and the Fernet token."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {Patient._meta.db_table} WHERE id = %s", [patient.pk])  # noqa: S608
        return cursor.fetchone()[0]


def readable(patients: list) -> list[tuple]:
    rows = []
    for p in Patient.objects.filter(pk__in=[p.pk for p in patients]).order_by("pk"):
        identifier = p.identifiers.get()
        rows.append((p.phone, p.email, p.address, identifier.value, p.contacts.get().phone))
    return rows


def test_every_encrypted_column_is_found():
    labels = {c.label for c in keys.encrypted_columns()}
    assert {
        "patients.Patient.phone",
        "patients.Patient.email",
        "patients.Patient.address",
        "patients.PatientIdentifier.value",
        "patients.PatientContact.phone",
        "patients.PatientPhoto.image",
    } <= labels


def test_rotate_re_encrypts_every_value_with_a_new_key(patients, key_folder, capsys):
    # given
    before = readable(patients)
    assert key_ids_in_use() == {"k1": 25}

    # when
    call_command("keys", "rotate", "--batch-size", "2")

    # then
    assert key_ids_in_use() == {"k2": 25}
    crypto.keyring.cache_clear()
    assert readable(patients) == before
    stored = json.loads((key_folder / "keys.json").read_text())
    assert [k["id"] for k in stored["keys"]] == ["k1", "k2"]
    out = capsys.readouterr().out
    assert "Added key k2" in out
    assert "patients.Patient.phone: 5 value(s) re-encrypted with k2." in out


def test_blind_indexes_still_find_values_after_rotation(patients):
    # given
    phone_index = Patient.objects.get(pk=patients[0].pk).phone_index

    # when
    call_command("keys", "rotate")

    # then: the index key is not rotated, so exact-match search keeps working
    assert Patient.objects.get(pk=patients[0].pk).phone_index == phone_index


def test_an_interrupted_rotation_loses_nothing_and_resumes(patients, monkeypatch, key_folder):
    # given: the rotation stops after its first batch
    before = readable(patients)
    real = keys._stale_batch
    calls = []

    def stop_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(keys, "_stale_batch", stop_on_second_batch)

    # when
    with pytest.raises(KeyboardInterrupt):
        call_command("keys", "rotate", "--batch-size", "2")

    # then: some values moved, every value still reads
    assert key_ids_in_use() == {"k1": 23, "k2": 2}
    crypto.keyring.cache_clear()
    assert readable(patients) == before

    # when: the rotation is resumed
    monkeypatch.setattr(keys, "_stale_batch", real)
    call_command("keys", "rotate", "--resume")

    # then: finished with the same key, no third key
    assert key_ids_in_use() == {"k2": 25}
    stored = json.loads((key_folder / "keys.json").read_text())
    assert [k["id"] for k in stored["keys"]] == ["k1", "k2"]
    assert readable(patients) == before


def test_status_counts_values_per_key(patients, capsys):
    # given
    call_command("keys", "rotate")
    add_patient(patients[0].facility, 9)  # phone, identifier and contact phone
    capsys.readouterr()

    # when
    call_command("keys", "status")

    # then
    out = capsys.readouterr().out
    assert "k1: 0 value(s)" in out
    assert "k2 (current): 28 value(s)" in out
    assert "    patients.Patient.phone: 6" in out


def test_retire_is_refused_while_a_value_uses_the_key(patients, key_folder):
    # given: a rotation that did not finish
    crypto.add_key()

    # when / then
    with pytest.raises(CommandError, match="25 value\\(s\\) still use k1"):
        call_command("keys", "retire", "k1")
    assert "k1" in crypto.keyring().keys


def test_retire_after_rotation_removes_the_key(patients, key_folder):
    # given
    before = readable(patients)
    call_command("keys", "rotate")

    # when
    call_command("keys", "retire", "k1")

    # then
    stored = json.loads((key_folder / "keys.json").read_text())
    assert [k["id"] for k in stored["keys"]] == ["k2"]
    crypto.keyring.cache_clear()
    assert readable(patients) == before


@pytest.mark.parametrize(("key_id", "message"), [("k1", "current key"), ("k9", "No key")])
def test_retire_refuses_the_current_or_an_unknown_key(key_id, message):
    with pytest.raises(CommandError, match=message):
        call_command("keys", "retire", key_id)


def test_rotate_refuses_keys_from_the_environment(facility, monkeypatch, key_folder):
    # given: the values were written under a key that only the environment holds
    env_key = crypto.Fernet.generate_key()
    monkeypatch.setenv("HMS_FIELD_KEYS", "k1:" + env_key.decode())
    monkeypatch.setenv("HMS_INDEX_KEY", "index-key-from-the-environment")
    crypto.keyring.cache_clear()
    patient = add_patient(facility, 1)
    stored = stored_phone(patient)
    assert crypto.Fernet(env_key).decrypt(stored.partition(":")[2].encode()) == b"+254712345601"

    # when / then
    with pytest.raises(CommandError, match="HMS_FIELD_KEYS"):
        call_command("keys", "rotate")
    assert stored_phone(patient) == stored
    assert key_ids_in_use() == {"k1": 3}
    assert not (key_folder / "keys.json").exists()


def test_another_process_rotating_is_picked_up_when_reading(patients, key_folder):
    # given: this process still holds only k1
    assert list(crypto.keyring().keys) == ["k1"]
    data = json.loads((key_folder / "keys.json").read_text())
    data["keys"].append({"id": "k7", "key": crypto.Fernet.generate_key().decode()})
    (key_folder / "keys.json").write_text(json.dumps(data))
    value = "k7:" + crypto.Fernet(data["keys"][-1]["key"].encode()).encrypt(b"+254700").decode()

    # when / then
    assert crypto.decrypt(value) == "+254700"


def _first_key_in_child(queue) -> None:
    crypto.keyring.cache_clear()
    queue.put(crypto.keyring().index_key.decode())


def test_processes_starting_at_once_share_one_new_key_file(key_folder):
    # given: eight processes that each find no key file
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_first_key_in_child, args=(queue,)) for _ in range(8)]

    # when
    for child in children:
        child.start()
    found = {queue.get(timeout=30) for _ in children}
    for child in children:
        child.join(timeout=30)

    # then: none read a half-written file, and all use the one key that was kept
    assert all(child.exitcode == 0 for child in children)
    assert found == {json.loads((key_folder / "keys.json").read_text())["index_key"]}
    assert [p.name for p in key_folder.iterdir()] == ["keys.json"]
