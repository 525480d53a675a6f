"""Who may open the audit pages, and that a refusal is itself audited."""

import pytest

from hms.accounts.models import User
from hms.audit.models import AuditEvent

PAGES = [
    ("get", "/audit/"),
    ("get", "/audit/export.csv"),
    ("get", "/audit/verify/"),
    ("post", "/audit/verify/"),
]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("auditor", [200, 200, 200, 200]),
        ("admin", [403, 403, 200, 200]),
        ("receptionist", [403, 403, 403, 403]),
        ("doctor", [403, 403, 403, 403]),
        ("patient", [403, 403, 403, 403]),
    ],
)
@pytest.mark.django_db
def test_role_matrix(client_for, role, expected):
    # given
    client = client_for(role)

    # when
    statuses = [getattr(client, method)(path).status_code for method, path in PAGES]

    # then
    assert statuses == expected


@pytest.mark.parametrize(("method", "path"), PAGES)
@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_sign_in(client, method, path):
    # when
    response = getattr(client, method)(path)

    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    ("method", "path", "action", "needed"),
    [
        ("get", "/audit/", "read", "audit.view_events"),
        ("get", "/audit/export.csv", "read", "audit.export_events"),
        ("post", "/audit/verify/", "update", "audit.verify_chain"),
    ],
)
@pytest.mark.django_db
def test_receptionist_refusal_is_audited(client_for, method, path, action, needed):
    # given
    client = client_for("receptionist", username="clerk_bo")
    clerk = User.objects.get(username="clerk_bo")
    before = AuditEvent.objects.count()

    # when
    response = getattr(client, method)(
        path, REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT="Front-desk PC"
    )

    # then
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before + 1
    refusal = AuditEvent.objects.order_by("-id").first()
    assert refusal.actor_id == clerk.pk
    assert refusal.action == action
    assert refusal.outcome == "denied"
    assert refusal.object_type == f"page:{path}"
    assert refusal.reason == f"needs {needed}"
    assert (refusal.source_ip, refusal.user_agent) == ("10.9.8.7", "Front-desk PC")
    assert (refusal.facility_code, refusal.roles, refusal.channel) == ("RGH", "receptionist", "web")
    assert AuditEvent.objects.filter(action="export").exists() is False
