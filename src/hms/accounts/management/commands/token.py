"""hms token USERNAME [--expires DAYS] [--name NAME] | --revoke PREFIX | --list"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from hms.accounts import policies, services
from hms.accounts.models import ApiToken, User
from hms.accounts.permissions import Perm
from hms.core import context
from hms.core.errors import DomainError


class Command(BaseCommand):
    help = "Issue (and print once), list or revoke a user's API tokens."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--expires", type=int, default=90, metavar="DAYS")
        parser.add_argument("--name", default="cli")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--list", action="store_true")
        group.add_argument("--revoke", metavar="PREFIX")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        with context.bound(context.RequestContext(channel="cli")):
            if options["list"]:
                for t in ApiToken.objects.filter(user=user):
                    state = "revoked" if t.revoked_at else ("active" if t.is_usable else "expired")
                    self.stdout.write(
                        f"{t.prefix}  {t.name:20} {state:8} expires {t.expires_at:%Y-%m-%d}"
                    )
                return
            if options["revoke"]:
                token = ApiToken.objects.filter(user=user, prefix=options["revoke"]).first()
                if token is None:
                    raise CommandError("No such token.")
                services.revoke_token(actor=None, token=token, skip_permission_checks=True)
                self.stdout.write(f"Revoked {token.prefix}.")
                return
            if not _may_use_api(user):
                raise CommandError(
                    f"{user.username} holds no role that may use the API "
                    f"({Perm.USE_API_TOKENS}) in any facility."
                )
            try:
                token, raw = services.issue_token(
                    actor=None,
                    user=user,
                    name=options["name"],
                    days=options["expires"],
                    skip_permission_checks=True,
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(raw)
        self.stderr.write(
            f"Token {token.prefix}… for {user.username}, expires {token.expires_at:%Y-%m-%d}. "
            "It is shown only now."
        )


def _may_use_api(user: User) -> bool:
    # The CLI issues for anyone, so the holder's own roles are asked here: a token no
    # role of theirs may use would only fail on every call.
    return user.is_active and any(
        policies.has_permission(user, Perm.USE_API_TOKENS, facility)
        for facility in policies.facilities_of(user)
    )
