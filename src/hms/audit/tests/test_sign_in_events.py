"""Every sign-in, failed sign-in and sign-out leaves a row (accounts tests cover the rest)."""

import pytest

from hms.audit.models import AuditEvent

PASSWORD = "a-long-enough-passphrase-42"


@pytest.fixture
def clerk(make_user):
    # A receptionist signs in with a password alone.
    return make_user("receptionist", username="clerk_bo", password=PASSWORD)


def _last() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


@pytest.mark.django_db
def test_sign_in_is_recorded(client, clerk):
    # when
    response = client.post(
        "/accounts/login/",
        {"username": "clerk_bo", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.5",
    )

    # then
    assert response.status_code == 302
    event = _last()
    assert (event.action, event.outcome, event.actor_id) == ("login", "success", clerk.pk)
    assert (event.reason, event.source_ip, event.channel) == ("password", "10.0.0.5", "web")


@pytest.mark.django_db
def test_failed_sign_in_is_recorded_with_the_typed_username(client, clerk):
    # when
    response = client.post("/accounts/login/", {"username": "clerk_bo", "password": "wrong"})

    # then
    assert response.status_code == 401
    event = _last()
    assert (event.action, event.outcome) == ("login_failed", "denied")
    assert (event.actor_id, event.username) == (None, "clerk_bo")
    assert event.reason == "wrong username or password"


@pytest.mark.django_db
def test_failed_sign_in_of_an_unknown_user_is_recorded(client, db):
    # when
    client.post("/accounts/login/", {"username": "nobody_here", "password": "guess"})

    # then
    event = _last()
    assert (event.action, event.username, event.actor_id) == ("login_failed", "nobody_here", None)


@pytest.mark.django_db
def test_sign_out_is_recorded(client, clerk):
    # given
    client.post("/accounts/login/", {"username": "clerk_bo", "password": PASSWORD})

    # when
    response = client.post("/accounts/logout/")

    # then
    assert response.status_code == 302
    event = _last()
    assert (event.action, event.actor_id, event.reason) == ("logout", clerk.pk, "signed out")
