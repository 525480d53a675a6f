"""User administration services: create, roles, (de)activation, 2FA reset, permissions."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts import policies, services
from hms.accounts.errors import AccountErrorCode
from hms.accounts.models import ApiToken, RecoveryCodeDevice, User
from hms.accounts.tests.helpers import PASSWORD, audit_mark, audit_since, counts, issue_token
from hms.core.errors import InvalidInput, NotFound, NotPermitted

pytestmark = pytest.mark.django_db

NOT_PERMITTED = "Your role does not allow this (accounts.manage_users)."


def _create(facility, actor=None, **overrides) -> User:
    fields = {
        "username": "amina.wanjiru",
        "password": PASSWORD,
        "roles": ["nurse"],
        "first_name": "Amina",
        "last_name": "Wanjiru",
        "email": "amina@example.org",
    }
    return services.create_user(
        actor=actor,
        facility=facility,
        skip_permission_checks=actor is None,
        **{**fields, **overrides},
    )


def _roles(user, facility) -> list[str]:
    return sorted(
        user.role_assignments.filter(facility=facility).values_list("role__code", flat=True)
    )


# create_user


def test_admin_creates_a_user_with_roles(make_user, facility):
    # given
    admin = make_user("admin")
    mark = audit_mark()

    # when
    user = _create(facility, actor=admin, roles=["nurse", "ward_manager"])

    # then
    user.refresh_from_db()
    assert (user.username, user.first_name, user.last_name, user.email) == (
        "amina.wanjiru",
        "Amina",
        "Wanjiru",
        "amina@example.org",
    )
    assert user.is_active is True
    assert user.check_password(PASSWORD) is True
    assert _roles(user, facility) == ["nurse", "ward_manager"]
    assert set(user.role_assignments.values_list("created_by", flat=True)) == {admin.pk}
    assert audit_since(mark) == [
        ("create", "success", admin.username, "roles nurse, ward_manager at RGH")
    ]


def test_names_are_normalised_and_trimmed(facility):
    # when
    user = _create(facility, first_name="  Zoe\u0301 ", last_name=" Njeri ")

    # then: NFC, so "é" typed two ways is one string
    assert (user.first_name, user.last_name) == ("Zo\u00e9", "Njeri")


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["surgeon"], "Unknown role: surgeon."),
        (["nurse", "surgeon"], "Unknown role: surgeon."),
        ([], "Unknown role: (none given)."),
    ],
)
def test_create_user_refuses_unknown_roles_and_writes_nothing(facility, roles, message):
    # given
    before = counts()
    mark = audit_mark()

    # when
    with pytest.raises(InvalidInput) as exc:
        _create(facility, roles=roles)

    # then
    assert (exc.value.code, exc.value.field, exc.value.message) == (
        AccountErrorCode.UNKNOWN_ROLE,
        "roles",
        message,
    )
    assert counts() == before
    assert audit_since(mark) == []


@pytest.mark.parametrize("taken", ["amina.wanjiru", "AMINA.Wanjiru"])
def test_create_user_refuses_a_taken_username_in_any_case(facility, taken):
    # given
    _create(facility)
    before = counts()
    mark = audit_mark()

    # when
    with pytest.raises(InvalidInput) as exc:
        _create(facility, username=taken)

    # then
    assert (exc.value.code, exc.value.field, exc.value.message) == (
        AccountErrorCode.USERNAME_TAKEN,
        "username",
        f"The username {taken!r} is taken.",
    )
    assert counts() == before
    assert audit_since(mark) == []


@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        (
            "first_name",
            "Amina\x07",
            AccountErrorCode.INVALID_NAME,
            "Contains a control character (U+0007), which is not allowed.",
        ),
        (
            "last_name",
            "Wan\x00jiru",
            AccountErrorCode.INVALID_NAME,
            "Contains a control character (U+0000), which is not allowed.",
        ),
        (
            "username",
            "amina\x1b[31m",
            AccountErrorCode.INVALID_USERNAME,
            "Contains a control character (U+001B), which is not allowed.",
        ),
        (
            "username",
            "amina wanjiru",
            AccountErrorCode.INVALID_USERNAME,
            "Enter a valid username. This value may contain only letters, numbers, "
            "and @/./+/-/_ characters.",
        ),
        ("username", "   ", AccountErrorCode.INVALID_USERNAME, "A username is required."),
        ("first_name", "A" * 151, AccountErrorCode.INVALID_NAME, "At most 150 characters."),
    ],
)
def test_create_user_refuses_bad_names_and_writes_nothing(facility, field, value, code, message):
    # given
    before = counts()
    mark = audit_mark()

    # when
    with pytest.raises(InvalidInput) as exc:
        _create(facility, **{field: value})

    # then
    assert (exc.value.code, exc.value.field, exc.value.message) == (code, field, message)
    assert counts() == before
    assert audit_since(mark) == []


def test_receptionist_may_not_create_users(make_user, facility):
    # given
    receptionist = make_user("receptionist")
    before = counts()

    # when
    with pytest.raises(NotPermitted) as exc:
        _create(facility, actor=receptionist)

    # then
    assert (exc.value.code, exc.value.message) == ("NOT_PERMITTED", NOT_PERMITTED)
    assert counts() == before


def test_admin_of_another_facility_may_not_create_users_here(make_user, facility, other_facility):
    # given
    outsider = make_user("admin", at=other_facility)
    before = counts()

    # when
    with pytest.raises(NotPermitted):
        _create(facility, actor=outsider)

    # then
    assert counts() == before


def test_deactivated_admin_may_not_create_users(make_user, facility):
    # given
    admin = make_user("admin")
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    before = counts()

    # when
    with pytest.raises(NotPermitted):
        _create(facility, actor=admin)

    # then
    assert counts() == before


# assign_roles


def test_assign_roles_replaces_the_roles_in_that_facility_only(make_user, facility, other_facility):
    # given: a nurse here who is also a receptionist at another facility
    admin = make_user("admin")
    user = make_user("nurse")
    services.assign_roles(
        actor=None,
        user=user,
        facility=other_facility,
        roles=["receptionist"],
        skip_permission_checks=True,
    )
    mark = audit_mark()

    # when
    services.assign_roles(actor=admin, user=user, facility=facility, roles=["doctor", "nurse"])

    # then
    assert _roles(user, facility) == ["doctor", "nurse"]
    assert _roles(user, other_facility) == ["receptionist"]
    assert policies.roles_in(user, facility) == ("doctor", "nurse")
    assert audit_since(mark) == [
        ("update", "success", admin.username, "roles at RGH set to doctor, nurse")
    ]


def test_assign_roles_refuses_an_unknown_role_and_changes_nothing(make_user, facility):
    # given
    admin = make_user("admin")
    user = make_user("nurse")
    mark = audit_mark()

    # when
    with pytest.raises(InvalidInput) as exc:
        services.assign_roles(actor=admin, user=user, facility=facility, roles=["surgeon"])

    # then
    assert exc.value.code == AccountErrorCode.UNKNOWN_ROLE
    assert _roles(user, facility) == ["nurse"]
    assert audit_since(mark) == []


def test_admin_of_another_facility_may_not_assign_roles_here(make_user, facility, other_facility):
    # given
    outsider = make_user("admin", at=other_facility)
    user = make_user("nurse")

    # when
    with pytest.raises(NotPermitted):
        services.assign_roles(actor=outsider, user=user, facility=facility, roles=["admin"])

    # then
    assert _roles(user, facility) == ["nurse"]


# set_user_active


def test_deactivation_revokes_tokens_and_is_audited(make_user, facility):
    # given
    admin = make_user("admin")
    user = make_user("nurse")
    for name in ("feed", "script"):
        issue_token(user, name=name)
    mark = audit_mark()

    # when
    services.set_user_active(
        actor=admin, user=user, facility=facility, active=False, reason="left the hospital"
    )

    # then
    user.refresh_from_db()
    assert user.is_active is False
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    assert ApiToken.objects.filter(user=user).count() == 2
    assert policies.permissions_in(user, facility) == frozenset()
    assert audit_since(mark) == [
        ("update", "success", admin.username, "deactivated: left the hospital")
    ]


def test_reactivation_does_not_bring_back_tokens(make_user, facility):
    # given
    admin = make_user("admin")
    user = make_user("nurse")
    issue_token(user)
    services.set_user_active(actor=admin, user=user, facility=facility, active=False, reason="")
    mark = audit_mark()

    # when
    services.set_user_active(actor=admin, user=user, facility=facility, active=True, reason="")

    # then
    user.refresh_from_db()
    assert user.is_active is True
    assert ApiToken.objects.usable().filter(user=user).count() == 0
    assert audit_since(mark) == [("update", "success", admin.username, "activated")]


def test_deactivation_refuses_a_reason_with_control_characters(make_user, facility):
    # given
    admin = make_user("admin")
    user = make_user("nurse")
    before = counts()
    mark = audit_mark()

    # when
    with pytest.raises(InvalidInput) as exc:
        services.set_user_active(
            actor=admin, user=user, facility=facility, active=False, reason="bye\x00"
        )

    # then
    user.refresh_from_db()
    assert (exc.value.code, exc.value.field) == (AccountErrorCode.INVALID_NAME, "reason")
    assert user.is_active is True
    assert counts() == before
    assert audit_since(mark) == []


def test_receptionist_may_not_deactivate_users(make_user, facility):
    # given
    receptionist = make_user("receptionist")
    user = make_user("nurse")

    # when
    with pytest.raises(NotPermitted):
        services.set_user_active(
            actor=receptionist, user=user, facility=facility, active=False, reason=""
        )

    # then
    user.refresh_from_db()
    assert user.is_active is True


# reset_two_factor


def test_reset_two_factor_removes_every_second_factor(make_user, make_enrolled, facility):
    # given
    admin = make_user("admin")
    user = make_enrolled("doctor")
    mark = audit_mark()

    # when
    services.reset_two_factor(actor=admin, user=user, facility=facility)

    # then
    assert TOTPDevice.objects.filter(user=user).exists() is False
    assert RecoveryCodeDevice.objects.filter(user=user).exists() is False
    assert audit_since(mark) == [("update", "success", admin.username, "two-factor reset")]


def test_after_a_reset_the_user_enrols_again(client, make_user, make_enrolled, facility):
    # given
    user = make_enrolled("doctor")
    services.reset_two_factor(actor=make_user("admin"), user=user, facility=facility)

    # when
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})

    # then
    assert response["Location"] == "/accounts/2fa/setup/"


def test_receptionist_may_not_reset_two_factor(make_user, make_enrolled, facility):
    # given
    receptionist = make_user("receptionist")
    user = make_enrolled("doctor")
    mark = audit_mark()

    # when
    with pytest.raises(NotPermitted):
        services.reset_two_factor(actor=receptionist, user=user, facility=facility)

    # then
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert RecoveryCodeDevice.objects.filter(user=user).count() == 1
    assert audit_since(mark) == []


# revoke_token


def test_only_the_owner_may_revoke_a_token(make_user):
    # given
    owner = make_user("nurse")
    other = make_user("nurse")
    token, _ = issue_token(owner)
    mark = audit_mark()

    # when
    with pytest.raises(NotFound) as exc:
        services.revoke_token(actor=other, token=token)

    # then
    token.refresh_from_db()
    assert exc.value.code == AccountErrorCode.TOKEN_NOT_FOUND
    assert token.revoked_at is None
    assert audit_since(mark) == []


# Administering users of another facility


def test_admin_may_not_deactivate_a_user_of_another_facility(make_user, facility, other_facility):
    # given: the admin names their own facility, but the user works only at the other
    admin = make_user("admin")
    outsider = make_user("doctor", at=other_facility)
    mark = audit_mark()

    # when
    with pytest.raises(NotPermitted) as exc:
        services.set_user_active(
            actor=admin, user=outsider, facility=facility, active=False, reason=""
        )

    # then
    outsider.refresh_from_db()
    assert exc.value.message == "That user holds no role in this facility."
    assert outsider.is_active is True
    assert audit_since(mark) == []


def test_admin_may_not_reset_two_factor_of_a_user_of_another_facility(
    make_user, make_enrolled, facility, other_facility
):
    # given
    admin = make_user("admin")
    outsider = make_enrolled("doctor", at=other_facility)

    # when
    with pytest.raises(NotPermitted):
        services.reset_two_factor(actor=admin, user=outsider, facility=facility)

    # then
    assert TOTPDevice.objects.filter(user=outsider, confirmed=True).count() == 1


def test_admin_may_not_unlock_a_user_of_another_facility(make_user, facility, other_facility):
    # given
    admin = make_user("admin")
    outsider = make_user("doctor", at=other_facility)
    mark = audit_mark()

    # when
    with pytest.raises(NotPermitted):
        services.unlock_user(actor=admin, user=outsider, facility=facility)

    # then
    assert audit_since(mark) == []


def test_admin_manages_a_user_who_also_works_elsewhere(make_user, facility, other_facility):
    # given: a doctor at both facilities
    admin = make_user("admin")
    doctor = make_user("doctor", at=other_facility)
    services.assign_roles(
        actor=None, user=doctor, facility=facility, roles=["doctor"], skip_permission_checks=True
    )

    # when
    services.set_user_active(actor=admin, user=doctor, facility=facility, active=False, reason="")

    # then
    doctor.refresh_from_db()
    assert doctor.is_active is False
