"""DRF authentication by bearer token (the session, with CSRF, is DRF's own)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from hms.accounts.models import ApiToken, User, token_digest
from hms.accounts.session import bind_actor
from hms.audit.services import Action, Outcome, record_event
from hms.core.rows import Columns, fetch

# last_used_at is written at most this often per token, not on every call.
_TOUCH_INTERVAL_SECONDS = 60


_TOKEN, _USER = Columns(ApiToken), Columns(User)


def _token(digest: str) -> ApiToken | None:
    """The token and its user, in one plain statement: every API call asks this
    first, and compiling the ORM's join cost more than running it."""
    sql = (
        f"SELECT {_TOKEN.select('t')}, {_USER.select('u')} "  # noqa: S608
        f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
        "WHERE t.digest = %s"
    )
    for token, user in fetch(sql, [digest], _TOKEN, _USER):
        token.user = user
        return token
    return None


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
