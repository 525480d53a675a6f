"""Bad input and attacks on every text field of the pages and the API.

Whatever arrives (control characters, megabytes, injection strings, wrong JSON types,
broken JSON, forged form posts, impossible dates), the answer is a clear 4xx that names
the field, never a 500; the refusal is in the audit trail; and nothing is half-saved.
Unicode that people really type (right-to-left scripts, combining marks, emoji) is
accepted where it makes sense and stored NFC-normalised.

INPUTS lists the text fields that exist; a new form or API body adds its fields there.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import unicodedata
import zoneinfo
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from hms.accounts import services
from hms.accounts.models import ApiToken, User
from hms.accounts.testing import PASSWORD, verified_session
from hms.audit.models import AuditEvent
from hms.audit.services import Action, Outcome, record_event
from hms.core.text import clean_text
from hms.patients.models import Patient

ADMIN, AUDITOR = "admin", "auditor"
PAGE, API = "page", "api"
NEW_PASSWORD = "Vq3-plover-harbour-47"
MEGABYTE = 1_000_000  # two of them (a password and its confirmation) fit in one request

NEW_USER = {
    "username": "newcomer",
    "first_name": "Amani",
    "last_name": "Njoroge",
    "email": "amani@example.org",
    "password": NEW_PASSWORD,
    "roles": ["nurse"],
}
NEW_TOKEN = {"name": "ci", "expires_days": 30}
PASSWORD_CHANGE = {
    "old_password": PASSWORD,
    "new_password": NEW_PASSWORD,
    "confirm_password": NEW_PASSWORD,
}
LOGIN = {"username": "nobody-here", "password": "wrong-password-123"}
WALK_IN = {
    "name": "Amina Wanjiru",
    "sex": "female",
    "birth": "12/04/1990",
    "phone": "0712345678",
}
FULL_REGISTRATION = {
    "given_name": "Amina",
    "family_name": "Wanjiru",
    "sex": "female",
    "birth": "12/04/1990",
    "phone": "0712345678",
    "identifiers-TOTAL_FORMS": "0",
    "identifiers-INITIAL_FORMS": "0",
    "contacts-TOTAL_FORMS": "0",
    "contacts-INITIAL_FORMS": "0",
}

# Category Cc, placed inside the text (DRF and Django strip the whitespace ones, such as
# U+0085, from the ends before anything else sees them).
CONTROL_CHARACTERS = ["\x00", "\x07", "\x1b", "\x7f", "\x85"]

# Text people type. Names and token names take all of it; usernames take letters only.
UNICODE = {
    "arabic": "مريم",
    "hebrew": "שלום",
    "hebrew-with-points": "שָׁלוֹם",
    "combining-acute": "Jose\u0301",  # NFD; stored as the one character é
    "emoji": "Dr 👩🏽\u200d⚕️",
    "zero-width-joiner": "क्\u200dष",
    "right-to-left-mark": "\u200fعلي",
}
INJECTIONS = ["' OR 1=1 --", "<script>alert(1)</script>", "{{ 7*7 }}"]


@dataclass(frozen=True)
class Input:
    """One text field of one form or API body, and a valid request around it."""

    name: str
    role: str | None  # who sends it; None: an anonymous visitor
    door: str
    method: str
    path: str
    field: str
    valid: dict = dataclasses.field(hash=False)
    secret: bool = False  # a password: opaque, never shown; only NUL is refused
    mirror: str = ""  # a field that must repeat the value (a password's confirmation)

    def __str__(self) -> str:
        return self.name


def _fields(form: str, role, door: str, method: str, path: str, valid: dict, *names, **kw):
    return [Input(f"{form}/{n}", role, door, method, path, n, valid, **kw) for n in names]


USERS, TOKENS, AUDIT = "/accounts/users/new/", "/accounts/tokens/", "/audit/"
USERS_API, TOKENS_API, AUDIT_API = "/api/v1/users/", "/api/v1/tokens/", "/api/v1/audit-events/"
CHANGE_PASSWORD = ("password", "nurse", PAGE, "POST", "/accounts/password/", PASSWORD_CHANGE)
NAMES = ("username", "first_name", "last_name", "email")

INPUTS = [
    *_fields("login", None, PAGE, "POST", "/accounts/login/", LOGIN, "username"),
    *_fields("login", None, PAGE, "POST", "/accounts/login/", LOGIN, "password", secret=True),
    *_fields("user-page", ADMIN, PAGE, "POST", USERS, NEW_USER, *NAMES),
    *_fields("user-page", ADMIN, PAGE, "POST", USERS, NEW_USER, "password", secret=True),
    *_fields("user-api", ADMIN, API, "POST", USERS_API, NEW_USER, *NAMES),
    *_fields("user-api", ADMIN, API, "POST", USERS_API, NEW_USER, "password", secret=True),
    *_fields("token-page", "doctor", PAGE, "POST", TOKENS, NEW_TOKEN, "name"),
    *_fields("token-api", "doctor", API, "POST", TOKENS_API, NEW_TOKEN, "name"),
    *_fields("audit-page", AUDITOR, PAGE, "GET", AUDIT, {}, "username", "patient_id"),
    *_fields("audit-api", AUDITOR, API, "GET", AUDIT_API, {}, "username", "patient_id"),
    *_fields(*CHANGE_PASSWORD, "old_password", "confirm_password", secret=True),
    *_fields(*CHANGE_PASSWORD, "new_password", secret=True, mirror="confirm_password"),
    *_fields("patient-search", "receptionist", PAGE, "GET", "/patients/", {}, "q"),
    *_fields(
        "patient-walk-in",
        "receptionist",
        PAGE,
        "POST",
        "/patients/new/",
        WALK_IN,
        *("name", "birth", "phone", "duplicate_override_reason"),
    ),
    *_fields(
        "patient-full",
        "receptionist",
        PAGE,
        "POST",
        "/patients/new/full/",
        FULL_REGISTRATION,
        *("given_name", "family_name", "middle_name", "preferred_name", "gender_identity"),
        *("language", "email", "city"),
    ),
]
TEXT_INPUTS = [i for i in INPUTS if not i.secret]

# Fields whose value is stored, and where to read it back.
STORED = {
    "user-page/first_name": lambda: User.objects.get(username="newcomer").first_name,
    "user-page/last_name": lambda: User.objects.get(username="newcomer").last_name,
    "user-api/first_name": lambda: User.objects.get(username="newcomer").first_name,
    "user-api/last_name": lambda: User.objects.get(username="newcomer").last_name,
    "token-page/name": lambda: ApiToken.objects.order_by("-pk").first().name,
    "token-api/name": lambda: ApiToken.objects.order_by("-pk").first().name,
    "patient-full/given_name": lambda: Patient.objects.get().given_name,
    "patient-full/family_name": lambda: Patient.objects.get().family_name,
    "patient-full/middle_name": lambda: Patient.objects.get().middle_name,
    "patient-full/preferred_name": lambda: Patient.objects.get().preferred_name,
}
STORING_INPUTS = [i for i in INPUTS if i.name in STORED]


# --- helpers -------------------------------------------------------------------------------

# Rows a refused request may write: the audit trail, sign-in lockout counters, sessions.
_MAY_CHANGE = {
    "audit.auditevent",
    "audit.chainhead",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "sessions.session",
}


def snapshot() -> tuple:
    """Row counts of every table a refusal must not touch, plus users' and tokens' fields."""
    counts = {
        model._meta.label_lower: model.objects.count()
        for model in apps.get_models()
        if model._meta.label_lower not in _MAY_CHANGE and not model._meta.proxy
    }
    users = list(
        User.objects.order_by("pk").values_list(
            "username", "first_name", "last_name", "email", "password", "is_active"
        )
    )
    tokens = list(ApiToken.objects.order_by("pk").values_list("name", "revoked_at"))
    return counts, users, tokens


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def refusals_since(before: int) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(id__gt=before).exclude(outcome=Outcome.SUCCESS).order_by("id")
    )


@pytest.fixture
def client_as(make_user):
    """client_as(spec) -> the client that sends `spec`: a session for pages, a token for APIs."""

    def make(spec: Input) -> Client:
        if spec.role is None:
            return Client()
        user = make_user(spec.role)
        if spec.door == PAGE:
            return verified_session(Client(), user)
        _, raw = services.issue_token(
            actor=None, user=user, name="hostile", days=1, skip_permission_checks=True
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


def send(client, spec: Input, value):
    data = {**spec.valid, spec.field: value}
    if spec.mirror:
        data[spec.mirror] = value
    if spec.method == "GET":
        return client.get(spec.path, data)
    if spec.door == API:
        return client.post(spec.path, json.dumps(data), content_type="application/json")
    return client.post(spec.path, data)


def named_fields(response) -> set[str]:
    """The fields a refusal names: JSON `errors`/`field`, or the page form's errors."""
    if response["Content-Type"].startswith("application/"):
        body = response.json()
        return set(body.get("errors") or {}) | ({body["field"]} if body.get("field") else set())
    form = response.context["form"] if response.context else None
    return set(form.errors) if form is not None else set()


def assert_refused(response, spec: Input, *, before: int, unchanged: tuple, status: int = 400):
    assert response.status_code == status, response.content[:500]
    assert spec.field in named_fields(response)
    assert snapshot() == unchanged
    refusals = refusals_since(before)
    assert len(refusals) == 1, refusals
    if spec.door == PAGE:
        html = response.content.decode()
        errors = response.context["form"].errors[spec.field]
        assert all(escape(e) in html for e in errors)


# --- control characters, length --------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("spec", TEXT_INPUTS, ids=str)
def test_control_characters_are_refused_naming_the_field(spec, char, client_as):
    # given
    client = client_as(spec)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = send(client, spec, f"ab{char}cd")

    # then
    assert_refused(response, spec, before=before, unchanged=unchanged)


@pytest.mark.parametrize("spec", [i for i in INPUTS if i.secret], ids=str)
def test_nul_in_a_password_is_refused_naming_the_field(spec, client_as):
    # given
    client = client_as(spec)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = send(client, spec, "correct\x00horse-battery")

    # then
    assert_refused(response, spec, before=before, unchanged=unchanged)


# A 500-character password at sign-in is merely a wrong one: see the test below.
OVERLONG = [
    (spec, size)
    for spec in INPUTS
    for size in (500, MEGABYTE)
    if not (spec.name == "login/password" and size == 500)
]


@pytest.mark.parametrize(
    ("spec", "size"), OVERLONG, ids=[f"{spec}-{size}-chars" for spec, size in OVERLONG]
)
def test_overlong_text_is_refused_naming_the_field(spec, size, client_as):
    # given
    client = client_as(spec)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = send(client, spec, "x" * size)

    # then
    assert_refused(response, spec, before=before, unchanged=unchanged)


def test_control_characters_typed_at_sign_in_are_audited_as_visible_escapes(db):
    # when
    response = Client().post("/accounts/login/", {"username": "ab\x00\x1bcd", "password": "x"})

    # then
    assert response.status_code == 400
    failed = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert failed.username == "ab\\x00\\x1bcd"


def test_a_refused_address_holding_nul_is_audited_as_a_visible_escape(client_for):
    # given
    doctor = client_for("doctor")
    before = last_audit_id()

    # when
    response = doctor.get("/admin/%00x/")

    # then
    assert response.status_code == 403
    assert [e.object_type for e in refusals_since(before)] == ["page:/admin/\\x00x/"]


def test_long_password_at_sign_in_is_just_wrong_and_a_megabyte_is_never_hashed(make_user):
    # given
    make_user("nurse", username="ward-nurse")
    before = last_audit_id()

    # when
    long = Client().post("/accounts/login/", {"username": "ward-nurse", "password": "x" * 500})
    huge = Client().post("/accounts/login/", {"username": "ward-nurse", "password": "x" * MEGABYTE})

    # then
    assert long.status_code == 401
    assert huge.status_code == 400
    assert "password" in huge.context["form"].errors
    assert [(e.action, e.outcome, e.reason) for e in refusals_since(before)] == [
        (Action.LOGIN_FAILED, Outcome.DENIED, "wrong username or password"),
        (Action.LOGIN_FAILED, Outcome.FAILURE, "incomplete sign-in form"),
    ]


# --- unicode -------------------------------------------------------------------------------------


def _success_status(spec: Input) -> int:
    return {
        "user-page": 302,
        "user-api": 201,
        "token-page": 200,
        "token-api": 201,
        "patient-walk-in": 302,
        "patient-full": 302,
    }[spec.name.split("/")[0]]


@pytest.mark.parametrize("text", UNICODE.values(), ids=UNICODE.keys())
@pytest.mark.parametrize("spec", STORING_INPUTS, ids=str)
def test_unicode_text_is_accepted_and_stored_nfc(spec, text, client_as):
    # given
    client = client_as(spec)

    # when
    response = send(client, spec, text)

    # then
    assert response.status_code == _success_status(spec), response.content[:500]
    stored = STORED[spec.name]()
    assert stored == unicodedata.normalize("NFC", text)
    assert unicodedata.is_normalized("NFC", stored)


USERNAMES_ACCEPTED = {
    "arabic": ("مريم", "مريم"),
    "hebrew": ("שלום", "שלום"),
    "combining-acute": ("Jose\u0301", "Jos\u00e9"),
}
USERNAMES_REFUSED = ["hebrew-with-points", "emoji", "zero-width-joiner", "right-to-left-mark"]


@pytest.mark.parametrize("door", [PAGE, API])
@pytest.mark.parametrize("typed", USERNAMES_ACCEPTED, ids=str)
def test_usernames_take_letters_of_any_script_stored_nfc(door, typed, client_as):
    # given
    spec = next(i for i in INPUTS if i.name == f"user-{door}/username")
    value, stored = USERNAMES_ACCEPTED[typed]

    # when
    response = send(client_as(spec), spec, value)

    # then
    assert response.status_code == (302 if door == PAGE else 201)
    assert User.objects.filter(username=stored).count() == 1


@pytest.mark.parametrize("door", [PAGE, API])
@pytest.mark.parametrize("typed", USERNAMES_REFUSED)
def test_usernames_refuse_marks_emoji_and_invisible_characters(door, typed, client_as):
    # given
    spec = next(i for i in INPUTS if i.name == f"user-{door}/username")
    client = client_as(spec)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = send(client, spec, UNICODE[typed])

    # then
    assert_refused(response, spec, before=before, unchanged=unchanged)


def test_the_same_name_typed_decomposed_is_the_same_username(api_client_for, make_user):
    # given
    make_user("nurse", username="Jos\u00e9")
    admin = api_client_for(ADMIN)
    unchanged = snapshot()

    # when
    response = admin.post("/api/v1/users/", {**NEW_USER, "username": "Jose\u0301"}, format="json")

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "USERNAME_TAKEN"
    assert response.json()["field"] == "username"
    assert snapshot() == unchanged


def test_sign_in_with_a_decomposed_username_finds_the_account(make_user):
    # given
    make_user("nurse", username="Jos\u00e9")

    # when
    response = Client().post("/accounts/login/", {"username": "Jose\u0301", "password": PASSWORD})

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("door", [PAGE, API])
def test_audit_search_normalises_the_username_it_looks_for(door, client_for, api_client_for):
    # given
    record_event(action=Action.LOGIN_FAILED, username="Jos\u00e9", outcome=Outcome.DENIED)
    client = client_for(AUDITOR) if door == PAGE else api_client_for(AUDITOR)
    path = AUDIT if door == PAGE else AUDIT_API

    # when
    response = client.get(path, {"username": "Jose\u0301"})

    # then
    assert response.status_code == 200
    if door == API:
        assert [e["username"] for e in response.json()["results"]] == ["Jos\u00e9"]
    else:
        assert response.context["page"].paginator.count == 1


def test_a_unicode_password_can_be_set_and_used(make_user):
    # given
    user = make_user("nurse")
    client = verified_session(Client(), user)
    new = "пароль-שלום-👩🏽\u200d⚕️-مرحبا"

    # when
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": new, "confirm_password": new},
    )

    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


# --- injection strings: stored verbatim or refused, never executed, always escaped -------------


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize("spec", STORING_INPUTS, ids=str)
def test_injection_strings_are_stored_verbatim_and_shown_escaped(spec, text, client_as, client_for):
    # given
    client = client_as(spec)

    # when
    response = send(client, spec, text)

    # then
    assert response.status_code == _success_status(spec)
    assert STORED[spec.name]() == text
    for html in _pages_showing(spec, client, client_for):
        assert escape(text) in html
        if escape(text) != text:
            assert text not in html


def _pages_showing(spec: Input, sender, client_for) -> list[str]:
    if spec.name == "token-page/name":
        return [sender.get("/accounts/tokens/").content.decode()]
    if spec.name.startswith("user-"):
        viewer = client_for(ADMIN)
        newcomer = User.objects.get(username="newcomer")
        return [
            viewer.get("/accounts/users/").content.decode(),
            viewer.get(f"/accounts/users/{newcomer.external_id}/").content.decode(),
        ]
    return []  # a token issued over the API is listed to its owner over the API only


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize("door", [PAGE, API])
def test_injection_strings_as_usernames_are_refused(door, text, client_as):
    # given
    spec = next(i for i in INPUTS if i.name == f"user-{door}/username")
    client = client_as(spec)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = send(client, spec, text)

    # then
    assert_refused(response, spec, before=before, unchanged=unchanged)


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_at_sign_in_is_a_wrong_password_shown_escaped_to_the_auditor(
    text, client_for, api_client_for
):
    # when
    response = Client().post("/accounts/login/", {"username": text, "password": "wrong-123456"})

    # then
    assert response.status_code == 401
    assert escape(text) in response.content.decode()
    failed = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert failed.username == text
    trail = client_for(AUDITOR).get("/audit/").content.decode()
    assert escape(text) in trail
    if escape(text) != text:
        assert text not in trail
    results = api_client_for(AUDITOR).get("/api/v1/audit-events/", {"username": text}).json()
    assert [e["username"] for e in results["results"]] == [text]


def test_audit_csv_export_defuses_spreadsheet_formulas(client_for):
    # given
    formula = '=HYPERLINK("http://attacker.example","click")'
    Client().post("/accounts/login/", {"username": formula, "password": "wrong-123456"})

    # when
    response = client_for(AUDITOR).get("/audit/export.csv", {"action": "login_failed"})

    # then
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["username"] for row in rows] == [f"'{formula}"]


@pytest.mark.parametrize("door", [PAGE, API])
@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_in_audit_filters_match_nothing_and_are_escaped(
    text, door, client_for, api_client_for
):
    # given
    record_event(action=Action.LOGIN_FAILED, username="someone", outcome=Outcome.DENIED)
    client = client_for(AUDITOR) if door == PAGE else api_client_for(AUDITOR)
    path = AUDIT if door == PAGE else AUDIT_API

    # when
    response = client.get(path, {"username": text, "patient_id": text})

    # then
    assert response.status_code == 200
    if door == API:
        assert response.json()["count"] == 0
    else:
        assert response.context["page"].paginator.count == 0
        html = response.content.decode()
        assert f'value="{escape(text)}"' in html
        assert "No events match." in html


# --- wrong JSON types, broken JSON, oversized bodies -------------------------------------------

NOT_A_STRING = [12345, 1.5, True, [], ["a"], {}, {"a": "b"}, None]
NOT_A_LIST = ["nurse", 5, {"nurse": True}, None, [], [5], [None], [[]], ["no-such-role"]]
NOT_A_NUMBER_OF_DAYS = ["thirty", "30.5", 30.5, True, [], {}, None, 0, 367, 10**30, "9" * 5000]
JSON_CASES = [
    *((USERS_API, NEW_USER, f, v) for f in (*NAMES, "password") for v in NOT_A_STRING),
    *((USERS_API, NEW_USER, "roles", v) for v in NOT_A_LIST),
    *((TOKENS_API, NEW_TOKEN, "name", v) for v in NOT_A_STRING),
    *((TOKENS_API, NEW_TOKEN, "expires_days", v) for v in NOT_A_NUMBER_OF_DAYS),
]


@pytest.mark.parametrize(
    ("path", "valid", "name", "value"),
    JSON_CASES,
    ids=[f"{p.split('/')[3]}-{n}-{json.dumps(v)[:20]}" for p, _, n, v in JSON_CASES],
)
def test_wrong_json_types_are_refused_naming_the_field(path, valid, name, value, client_as):
    # given
    spec = Input("json", ADMIN, API, "POST", path, name, valid)
    client = client_as(spec)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = send(client, spec, value)

    # then
    assert_refused(response, spec, before=before, unchanged=unchanged)


@pytest.mark.parametrize("path", [USERS_API, TOKENS_API])
@pytest.mark.parametrize("body", [[], "a string", 5, None, True], ids=json.dumps)
def test_a_json_body_that_is_not_an_object_is_refused(path, body, api_client_for):
    # given
    client = api_client_for(ADMIN)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = client.post(path, json.dumps(body), content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_INPUT"
    assert response.json()["errors"]["non_field_errors"]
    assert snapshot() == unchanged
    assert len(refusals_since(before)) == 1


MALFORMED_JSON = {
    "truncated": b'{"username": ',
    "single-quotes": b"{'username': 'x'}",
    "trailing-comma": b'{"username": "x",}',
    "nan": b'{"expires_days": NaN}',
    "not-utf-8": b'{"name": "\xff\xfe"}',
    "byte-order-mark": b'\xef\xbb\xbf{"name": "x"}',
    "nested-arrays": b"[" * 100_000 + b"]" * 100_000,
    "nested-objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
}


@pytest.mark.parametrize("path", [USERS_API, TOKENS_API])
@pytest.mark.parametrize("body", MALFORMED_JSON.values(), ids=MALFORMED_JSON.keys())
def test_malformed_json_is_a_400_parse_error(path, body, api_client_for):
    # given
    client = api_client_for(ADMIN)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = client.post(path, body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json()["code"] in {"PARSE_ERROR", "INVALID_INPUT"}
    assert response.json()["detail"]
    assert snapshot() == unchanged
    assert len(refusals_since(before)) == 1


@pytest.mark.parametrize(("path", "valid"), [(USERS_API, NEW_USER), (TOKENS_API, NEW_TOKEN)])
def test_a_json_body_over_the_size_limit_is_413(path, valid, api_client_for):
    # given
    client = api_client_for(ADMIN)
    text_field = "first_name" if "users" in path else "name"
    body = json.dumps({**valid, text_field: "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = client.post(path, body, content_type="application/json")

    # then
    assert response.status_code == 413
    assert response.json() == {
        "code": "REQUEST_TOO_LARGE",
        "detail": "The request body is too large.",
    }
    assert snapshot() == unchanged
    assert [(e.outcome, e.reason[:8]) for e in refusals_since(before)] == [
        (Outcome.FAILURE, "HTTP 413")
    ]


def test_a_form_over_the_size_limit_is_413_with_a_page_that_says_so(client_for):
    # given
    admin = client_for(ADMIN)
    data = {**NEW_USER, "first_name": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = admin.post("/accounts/users/new/", data)

    # then
    assert response.status_code == 413
    assert "the most this site accepts" in response.content.decode()
    assert snapshot() == unchanged
    assert len(refusals_since(before)) == 1


# --- forged form posts (CSRF) --------------------------------------------------------------------

CSRF_POSTS = [
    (None, "/accounts/login/", {"username": "ward-nurse", "password": PASSWORD}),
    (ADMIN, "/accounts/users/new/", NEW_USER),
    ("doctor", "/accounts/tokens/", NEW_TOKEN),
    ("nurse", "/accounts/password/", PASSWORD_CHANGE),
]


@pytest.mark.parametrize(("role", "path", "data"), CSRF_POSTS, ids=[p for _, p, _ in CSRF_POSTS])
def test_a_post_without_csrf_token_is_refused_and_audited(role, path, data, make_user):
    # given
    make_user("nurse", username="ward-nurse")
    client = Client(enforce_csrf_checks=True)
    user = None
    if role:
        user = make_user(role)
        verified_session(client, user)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = client.post(path, data)

    # then
    assert response.status_code == 403
    assert "CSRF check failed" in response.content.decode()
    assert snapshot() == unchanged
    refusals = refusals_since(before)
    assert [(e.outcome, e.actor_id, e.object_type) for e in refusals] == [
        (Outcome.DENIED, user.pk if user else None, f"page:{path}")
    ]
    assert "CSRF" in refusals[0].reason
    assert not AuditEvent.objects.filter(id__gt=before, outcome=Outcome.SUCCESS).exists()


def test_a_session_api_post_without_csrf_token_is_refused_and_audited(make_user):
    # given
    user = make_user("doctor")
    client = verified_session(APIClient(enforce_csrf_checks=True), user)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = client.post("/api/v1/tokens/", NEW_TOKEN, format="json")

    # then
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"
    assert "CSRF" in response.json()["detail"]
    assert snapshot() == unchanged
    refusals = refusals_since(before)
    assert [(e.outcome, e.actor_id) for e in refusals] == [(Outcome.DENIED, user.pk)]
    assert "CSRF" in refusals[0].reason


# --- dates in the audit filters ------------------------------------------------------------------

IMPOSSIBLE_DATES = [
    "2025-02-30",
    "99999-01-01",
    "2025-13-01",
    "0000-01-01",
    "yesterday",
    "2025-02-28T25:00",
]


@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("door", [PAGE, API])
def test_impossible_dates_are_refused_naming_the_field(door, name, value, client_as):
    # given
    path = AUDIT if door == PAGE else AUDIT_API
    spec = Input("dates", AUDITOR, door, "GET", path, name, {})
    client = client_as(spec)
    before = last_audit_id()

    # when
    response = send(client, spec, value)

    # then
    assert response.status_code == 400
    assert name in named_fields(response)
    assert len(refusals_since(before)) == 1


@pytest.mark.parametrize("door", [PAGE, API])
def test_an_end_date_before_the_start_date_is_refused(door, client_as):
    # given
    path = AUDIT if door == PAGE else AUDIT_API
    spec = Input("dates", AUDITOR, door, "GET", path, "date_to", {"date_from": "2025-03-01"})
    client = client_as(spec)

    # when
    response = send(client, spec, "2025-02-01")

    # then
    assert response.status_code == 400
    assert named_fields(response) == {"date_to"}


@pytest.mark.parametrize(
    "zone", ["UTC", "Africa/Nairobi", "America/Los_Angeles", "Pacific/Kiritimati"]
)
@pytest.mark.parametrize("door", [PAGE, API])
def test_the_first_and_last_day_of_the_calendar_are_valid_filters(
    door, zone, client_for, api_client_for
):
    # given: a day at the edge of the calendar falls outside datetime's range in UTC
    client = client_for(AUDITOR) if door == PAGE else api_client_for(AUDITOR)
    path = AUDIT if door == PAGE else AUDIT_API
    everything = AuditEvent.objects.count()

    # when
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        response = client.get(path, {"date_from": "0001-01-01", "date_to": "9999-12-31"})

    # then
    assert response.status_code == 200
    count = response.json()["count"] if door == API else response.context["page"].paginator.count
    assert count == everything


# --- the password-change form ----------------------------------------------------------------


def test_a_wrong_current_password_is_refused_audited_and_changes_nothing(make_user):
    # given
    user = make_user("nurse")
    client = verified_session(Client(), user)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = client.post(
        "/accounts/password/", {**PASSWORD_CHANGE, "old_password": "not-it-at-all"}
    )

    # then
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"old_password"}
    assert snapshot() == unchanged
    assert [(e.outcome, e.reason) for e in refusals_since(before)] == [
        (Outcome.FAILURE, "password change refused: wrong current password")
    ]


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"confirm_password": NEW_PASSWORD + "-typo"}, "confirm_password"),
        ({"new_password": "password", "confirm_password": "password"}, "new_password"),
        ({"new_password": "x" * 129, "confirm_password": "x" * 129}, "new_password"),
    ],
    ids=["mismatch", "common", "over-128"],
)
def test_a_bad_new_password_is_refused_naming_the_field(changes, field_name, make_user):
    # given
    client = verified_session(Client(), make_user("nurse"))
    unchanged = snapshot()

    # when
    response = client.post("/accounts/password/", {**PASSWORD_CHANGE, **changes})

    # then
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {field_name}
    assert snapshot() == unchanged


def test_the_reason_for_deactivating_a_user_refuses_control_characters(client_for, make_user):
    # given
    target = make_user("nurse")
    admin = client_for(ADMIN)
    before, unchanged = last_audit_id(), snapshot()

    # when
    response = admin.post(
        f"/accounts/users/{target.external_id}/",
        {"action": "deactivate", "reason": "left\x1b[31m"},
    )

    # then
    assert response.status_code == 400
    assert "The reason has characters that are not allowed." in response.content.decode()
    assert snapshot() == unchanged
    assert len(refusals_since(before)) == 1


# --- properties (hypothesis) -----------------------------------------------------------------


# Bidi embeddings/overrides and line separators are refused like control characters.
_FORMAT_REFUSED = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2028", "\u2029"}


def _refused(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in _FORMAT_REFUSED


def _shows_nothing(char: str) -> bool:
    # Controls, formats, separators, lone combining marks, and the blank letters.
    blank = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
    return unicodedata.category(char) in {"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"} or char in blank


@hypothesis_settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(), multiline=st.booleans())
def test_clean_text_never_returns_a_control_character_and_is_idempotent(text, multiline):
    allowed = {"\n", "\r", "\t", "\u2028", "\u2029"} if multiline else set()
    normalised = unicodedata.normalize("NFC", text)
    if any(_refused(c) and c not in allowed for c in normalised):
        with pytest.raises(ValidationError) as refused:
            clean_text(text, multiline=multiline)
        assert refused.value.code == "control_character"
        return
    if normalised.strip() and all(_shows_nothing(c) for c in normalised.strip()):
        with pytest.raises(ValidationError) as refused:
            clean_text(text, multiline=multiline)
        assert refused.value.code == "invisible"
        return

    cleaned = clean_text(text, multiline=multiline)

    assert not [c for c in cleaned if _refused(c) and c not in allowed]
    assert unicodedata.is_normalized("NFC", cleaned)
    assert cleaned == normalised.strip()
    assert clean_text(cleaned, multiline=multiline) == cleaned


# Arbitrary text is nearly always refused as a username; letters and digits of any script
# make the examples that create a user frequent enough to check that path too.
ANY_USERNAME = st.text() | st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=40)


@pytest.fixture
def admin_api(api_client_for) -> APIClient:
    return api_client_for(ADMIN)


# The database fixtures are set up once for all examples on purpose; each example runs
# in a savepoint rolled back at its end, so no example sees another's rows.
@hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(username=ANY_USERNAME, first_name=st.text(), last_name=st.text())
def test_creating_a_user_from_any_text_is_all_or_nothing(
    username, first_name, last_name, admin_api
):
    payload = {
        "username": username,
        "first_name": first_name,
        "last_name": last_name,
        "password": NEW_PASSWORD,
        "roles": ["nurse"],
    }
    with transaction.atomic():
        users_before = User.objects.count()

        response = admin_api.post("/api/v1/users/", payload, format="json")

        event(f"HTTP {response.status_code}")
        assert response.status_code in (201, 400), response.content[:500]
        if response.status_code == 201:
            assert User.objects.count() == users_before + 1
            created = User.objects.get(external_id=response.json()["id"])
            assert created.username == clean_text(username.strip())
            assert created.first_name == clean_text(first_name.strip())
            assert created.last_name == clean_text(last_name.strip())
        else:
            assert User.objects.count() == users_before
            body = response.json()
            assert named_fields(response) & {"username", "first_name", "last_name", "password"}
            assert body["detail"]
        transaction.set_rollback(True)
