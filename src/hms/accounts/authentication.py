"""DRF authentication by bearer token (the session, with CSRF, is DRF's own)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from hms.accounts import policies
from hms.accounts.models import ApiToken, User, token_digest
from hms.accounts.session import bind_actor
from hms.audit.services import Action, Outcome, record_event
from hms.core.rows import Columns, fetch

# last_used_at is written at most this often per token, not on every call.
_TOUCH_INTERVAL_SECONDS = 60


_TOKEN, _USER = Columns(ApiToken), Columns(User)


def _token(digest: str) -> ApiToken | None:
    """The token, its user and the user's roles, in one plain statement (a row per
    role): every API call asks this first, and compiling the ORM's join cost more than
    running it, and reading the roles apart cost a round trip more."""
    role, facility = policies.ROLE_COLUMNS, policies.FACILITY_COLUMNS
    sql = (
        f"SELECT {_TOKEN.select('t')}, {_USER.select('u')}, "  # noqa: S608
        f"{role.select('r')}, {facility.select('f')} "
        f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
        f"LEFT JOIN ({policies.ASSIGNMENTS}) ON a.user_id = u.id "
        f"WHERE t.digest = %s ORDER BY {policies.ASSIGNMENTS_ORDER}"
    )
    rows = fetch(sql, [digest], _TOKEN, _USER, role, facility)
    if not rows:
        return None
    token, user = rows[0][0], rows[0][1]
    token.user = user
    policies.remember_roles(user, [(r, f) for _, _, r, f in rows if f.pk is not None])
    return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            self._refuse(request, "malformed Authorization header")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            self._refuse(request, "malformed Authorization header")
        token = _token(token_digest(raw))
        if token is None:
            self._refuse(request, "unknown API token")
        if token.revoked_at is not None:
            self._refuse(request, f"revoked API token {token.prefix}", token.user)
        if token.expires_at <= timezone.now():
            self._refuse(request, f"expired API token {token.prefix}", token.user)
        if not token.user.is_active:
            self._refuse(request, f"API token {token.prefix} of an inactive user", token.user)
        self._touch(token)
        bind_actor(request._request, token.user)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="hms"'

    def _refuse(self, request, reason: str, user=None):
        record_event(
            action=Action.LOGIN_FAILED,
            actor=user,
            outcome=Outcome.DENIED,
            reason=reason,
        )
        raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")

    def _touch(self, token: ApiToken) -> None:
        now = timezone.now()
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() > _TOUCH_INTERVAL_SECONDS
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
