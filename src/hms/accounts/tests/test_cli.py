"""The `createuser` and `token` management commands."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from hms.accounts import services
from hms.accounts.models import ApiToken, User
from hms.accounts.tests.helpers import (
    ME_URL,
    PASSWORD,
    audit_mark,
    audit_since,
    counts,
    issue_token,
)
from hms.audit.models import AuditEvent
from hms.core.models import Facility

pytestmark = pytest.mark.django_db


class FakeStdin(io.StringIO):
    """Standard input that may claim to be a terminal."""

    def __init__(self, text: str = "", *, tty: bool = False):
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# createuser


def test_createuser_reads_the_password_from_stdin(facility, monkeypatch):
    # given
    monkeypatch.setattr("sys.stdin", FakeStdin(PASSWORD + "\n"))
    mark = audit_mark()

    # when
    out, _ = _run("createuser", "amina", "--role", "nurse", "--role", "doctor", "--password-stdin")

    # then
    user = User.objects.get(username="amina")
    assert out == "Created amina (nurse, doctor) at RGH.\n"
    assert user.check_password(PASSWORD) is True
    assert sorted(user.role_assignments.values_list("role__code", flat=True)) == [
        "doctor",
        "nurse",
    ]
    assert audit_since(mark) == [("create", "success", "", "roles doctor, nurse at RGH")]
    assert AuditEvent.objects.get(id=mark + 1).channel == "cli"


def test_createuser_without_a_terminal_generates_and_prints_a_password(facility, monkeypatch):
    # given
    monkeypatch.setattr("sys.stdin", FakeStdin())

    # when
    out, _ = _run("createuser", "amina", "--role", "nurse")

    # then
    created, shown = out.splitlines()
    password = shown.removeprefix("Password (shown once): ")
    assert created == "Created amina (nurse) at RGH."
    assert len(password) == 20
    assert User.objects.get(username="amina").check_password(password) is True


def test_createuser_at_a_terminal_asks_twice(facility, monkeypatch):
    # given
    monkeypatch.setattr("sys.stdin", FakeStdin(tty=True))
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    # when
    with pytest.raises(CommandError, match="The passwords differ."):
        _run("createuser", "amina", "--role", "nurse")

    # then
    assert User.objects.filter(username="amina").exists() is False


def test_createuser_refuses_an_unknown_role(facility, monkeypatch):
    # given
    monkeypatch.setattr("sys.stdin", FakeStdin(PASSWORD + "\n"))
    before = counts()

    # when
    with pytest.raises(CommandError, match="invalid choice: 'surgeon'"):
        _run("createuser", "amina", "--role", "surgeon", "--password-stdin")

    # then
    assert counts() == before


def test_createuser_reports_a_weak_password(facility, monkeypatch):
    # given
    monkeypatch.setattr("sys.stdin", FakeStdin("qwerty123456\n"))
    before = counts()
    mark = audit_mark()

    # when
    with pytest.raises(CommandError) as exc:
        _run("createuser", "amina", "--role", "nurse", "--password-stdin")

    # then
    assert str(exc.value) == "password: This password is too common."
    assert counts() == before
    assert audit_since(mark) == []


def test_createuser_needs_a_facility_code_when_there_are_several(
    facility, other_facility, monkeypatch
):
    # given
    monkeypatch.setattr("sys.stdin", FakeStdin(PASSWORD + "\n"))
    before = counts()

    # when
    with pytest.raises(CommandError, match="Several facilities exist"):
        _run("createuser", "amina", "--role", "nurse", "--password-stdin")

    # then
    assert counts() == before


def test_createuser_at_a_named_facility(facility, other_facility, monkeypatch):
    # given
    monkeypatch.setattr("sys.stdin", FakeStdin(PASSWORD + "\n"))

    # when
    out, _ = _run("createuser", "amina", "--role", "nurse", "--facility", "HSC", "--password-stdin")

    # then
    user = User.objects.get(username="amina")
    assert out == "Created amina (nurse) at HSC.\n"
    assert list(user.role_assignments.values_list("facility__code", flat=True)) == ["HSC"]


def test_createuser_on_a_fresh_install_creates_the_first_facility(db, monkeypatch):
    # given
    monkeypatch.setattr("sys.stdin", FakeStdin(PASSWORD + "\n"))

    # when
    out, _ = _run("createuser", "root", "--role", "admin", "--password-stdin")

    # then
    assert out == "Created root (admin) at MAIN.\n"
    assert list(Facility.objects.values_list("code", flat=True)) == ["MAIN"]


# token


def test_token_prints_a_token_that_authenticates(make_user, clock):
    # given
    user = make_user("receptionist")
    mark = audit_mark()

    # when
    out, err = _run("token", user.username, "--expires", "7")

    # then
    raw = out.strip()
    token = ApiToken.objects.get(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert out == raw + "\n"
    assert token.prefix == raw[:10]
    assert token.expires_at == timezone.now() + timedelta(days=7)
    assert err == (
        f"Token {token.prefix}… for {user.username}, expires 2025-03-10. It is shown only now.\n"
    )
    assert client.get(ME_URL).json()["username"] == user.username
    assert audit_since(mark)[0] == (
        "create",
        "success",
        "",
        f"API token {token.prefix} for {user.username}, 7 days",
    )


def test_token_refuses_an_expiry_out_of_range(make_user):
    # given
    user = make_user("receptionist")

    # when
    with pytest.raises(CommandError, match="Expiry must be 1 to 366 days."):
        _run("token", user.username, "--expires", "400")

    # then
    assert ApiToken.objects.exists() is False


def test_token_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user 'ghost'."):
        _run("token", "ghost")


@pytest.mark.parametrize("roles", [("patient",), ()])
def test_token_refuses_a_user_whose_roles_cannot_use_the_api(make_user, facility, roles):
    # given: a patient of the portal, and an account holding no role at all
    user = make_user("patient") if roles else User.objects.create_user(username="norole")

    # when
    with pytest.raises(CommandError, match="holds no role that may use the API"):
        _run("token", user.username)

    # then
    assert ApiToken.objects.exists() is False


def test_token_list_shows_each_tokens_state(make_user, clock):
    # given
    user = make_user("receptionist")
    active, _ = issue_token(user)
    revoked, _ = issue_token(user, name="old")
    services.revoke_token(actor=None, token=revoked, skip_permission_checks=True)

    # when
    out, _ = _run("token", user.username, "--list")

    # then
    assert sorted(out.splitlines()) == sorted(
        [
            f"{active.prefix}  {'feed':20} active   expires 2025-04-02",
            f"{revoked.prefix}  {'old':20} revoked  expires 2025-04-02",
        ]
    )


def test_token_revoke_by_prefix(make_user):
    # given
    user = make_user("receptionist")
    token, raw = issue_token(user)
    mark = audit_mark()

    # when
    out, _ = _run("token", user.username, "--revoke", token.prefix)

    # then
    token.refresh_from_db()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert out == f"Revoked {token.prefix}.\n"
    assert token.revoked_at is not None
    assert client.get(ME_URL).status_code == 401
    assert audit_since(mark)[0] == ("update", "success", "", "API token revoked")


def test_token_revoke_of_an_unknown_prefix_fails(make_user):
    # given
    user = make_user("receptionist")

    # when / then
    with pytest.raises(CommandError, match="No such token."):
        _run("token", user.username, "--revoke", "hms_nope")
