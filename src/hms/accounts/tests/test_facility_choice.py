"""Where staff with roles in several facilities land at sign-in: the facility they last
switched to while they still hold a role there, else the default an administrator set,
else the first by name."""

from __future__ import annotations

import pytest
from django.test import Client

from hms.accounts import services
from hms.accounts.models import RoleAssignment, User
from hms.accounts.policies import facilities_of
from hms.accounts.session import landing_facility
from hms.accounts.tests.helpers import audit_mark, audit_since, sign_in
from hms.core.errors import InvalidInput, NotPermitted
from hms.core.models import Facility

pytestmark = pytest.mark.django_db

SWITCH_URL = "/accounts/facility/"
A_PAGE = "/accounts/password/"


@pytest.fixture
def alpha(db) -> Facility:
    return Facility.objects.create(name="Alpha Clinic", code="ALC")


@pytest.fixture
def nurse(make_user, facility, other_facility, alpha) -> User:
    """A nurse at Riverside General who also holds a role at Hillside and Alpha clinics."""
    user = make_user("nurse")
    for elsewhere in (other_facility, alpha):
        services.assign_roles(
            actor=None, user=user, facility=elsewhere, roles=["nurse"], skip_permission_checks=True
        )
    return user


def lands_in(user: User) -> Facility:
    fresh = User.objects.get(pk=user.pk)
    return landing_facility(fresh, facilities_of(fresh))


def signed_in_facility(client: Client, user: User) -> Facility:
    client.post("/accounts/logout/")
    assert sign_in(client, user.username).status_code == 302
    return client.get(A_PAGE).wsgi_request.facility


# The service


def test_with_no_choice_the_user_lands_in_the_first_by_name(nurse, alpha):
    assert lands_in(nurse) == alpha


def test_the_last_facility_then_the_default_then_the_first_by_name(
    nurse, make_user, facility, other_facility, alpha
):
    # given: switched last to Riverside; the administrator's default is Hillside
    services.remember_facility(user=nurse, facility=facility)
    services.set_default_facility(
        actor=make_user("admin"), user=nurse, facility=facility, default=other_facility
    )
    assert lands_in(nurse) == facility

    # when: the nurse no longer works at Riverside
    RoleAssignment.objects.filter(user=nurse, facility=facility).delete()

    # then: the default; and without it, the first by name
    assert lands_in(nurse) == other_facility
    RoleAssignment.objects.filter(user=nurse, facility=other_facility).delete()
    assert lands_in(nurse) == alpha


def test_switching_is_remembered_and_audited(nurse, facility):
    # given
    mark = audit_mark()

    # when
    services.remember_facility(user=nurse, facility=facility)

    # then
    assert User.objects.get(pk=nurse.pk).last_facility == facility
    assert audit_since(mark) == [("update", "success", nurse.username, "switched to RGH")]


def test_a_facility_without_a_role_is_not_remembered(make_user, other_facility):
    # given
    user = make_user("nurse")

    # when
    with pytest.raises(NotPermitted):
        services.remember_facility(user=user, facility=other_facility)

    # then
    assert User.objects.get(pk=user.pk).last_facility is None


def test_the_default_must_be_one_of_the_users_facilities(make_user, facility):
    # given
    user, admin = make_user("nurse"), make_user("admin")
    nowhere = Facility.objects.create(name="Elsewhere Hospital", code="ELS")
    mark = audit_mark()

    # when
    with pytest.raises(InvalidInput) as exc:
        services.set_default_facility(actor=admin, user=user, facility=facility, default=nowhere)

    # then
    assert exc.value.field == "default_facility"
    assert User.objects.get(pk=user.pk).default_facility is None
    assert audit_since(mark) == []


def test_only_a_user_administrator_sets_the_default(nurse, make_user, facility, other_facility):
    # when
    with pytest.raises(NotPermitted):
        services.set_default_facility(
            actor=make_user("receptionist"), user=nurse, facility=facility, default=other_facility
        )

    # then
    assert User.objects.get(pk=nurse.pk).default_facility is None


# The pages


def test_the_facility_switched_to_is_where_the_next_sign_in_lands(client, nurse, facility, alpha):
    # given: first sign-in lands in the first by name
    assert signed_in_facility(client, nurse) == alpha

    # when
    response = client.post(SWITCH_URL, {"facility": str(facility.external_id)})

    # then
    assert response.status_code == 302
    assert client.get(A_PAGE).wsgi_request.facility == facility
    assert signed_in_facility(client, nurse) == facility


def test_an_admin_sets_the_default_on_the_user_page(client_for, client, nurse, other_facility):
    # given
    admin = client_for("admin")
    page = f"/accounts/users/{nurse.external_id}/"

    # when
    response = admin.post(
        page, {"action": "default_facility", "default_facility": str(other_facility.external_id)}
    )

    # then
    assert response.status_code == 302
    assert User.objects.get(pk=nurse.pk).default_facility == other_facility
    assert "Hillside Clinic" in admin.get(page).content.decode()
    assert signed_in_facility(client, nurse) == other_facility


def test_a_default_where_the_user_holds_no_role_is_refused_on_the_page(client_for, nurse):
    # given
    admin = client_for("admin")
    nowhere = Facility.objects.create(name="Elsewhere Hospital", code="ELS")

    # when
    response = admin.post(
        f"/accounts/users/{nurse.external_id}/",
        {"action": "default_facility", "default_facility": str(nowhere.external_id)},
    )

    # then
    assert response.status_code == 400
    assert response.context["facility_form"].errors == {
        "default_facility": ["The user holds no role in that facility."]
    }
    assert User.objects.get(pk=nurse.pk).default_facility is None
