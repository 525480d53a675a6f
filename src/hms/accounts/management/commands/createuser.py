"""hms createuser USERNAME --role ROLE [--facility CODE] [--password-stdin]"""

from __future__ import annotations

import getpass
import secrets
import sys

from django.core.management.base import BaseCommand, CommandError

from hms.accounts import services
from hms.accounts.permissions import RoleCode
from hms.core import context
from hms.core.errors import DomainError
from hms.core.models import Facility


def facility_for_cli(code: str | None) -> Facility:
    """The named facility; with none named, the only one (created on a fresh install)."""
    if code:
        facility = Facility.objects.filter(code=code).first()
        if facility is None:
            raise CommandError(f"No facility with code {code!r}.")
        return facility
    facilities = list(Facility.objects.all()[:2])
    if len(facilities) > 1:
        raise CommandError("Several facilities exist: name one with --facility CODE.")
    if facilities:
        return facilities[0]
    return Facility.objects.create(name="Main facility", code="MAIN")


class Command(BaseCommand):
    help = "Create a user holding one or more roles in a facility."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=[r.value for r in RoleCode],
            help="Repeat for several roles.",
        )
        parser.add_argument("--facility", help="Facility code (default: the only facility).")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input.",
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, **options):
        generated = False
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password again: "):
                raise CommandError("The passwords differ.")
        else:
            password, generated = secrets.token_urlsafe(15), True
        with context.bound(context.RequestContext(channel="cli")):
            facility = facility_for_cli(options["facility"])
            try:
                user = services.create_user(
                    actor=None,
                    facility=facility,
                    username=options["username"],
                    password=password,
                    roles=options["role"],
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    skip_permission_checks=True,
                )
            except DomainError as exc:
                raise CommandError(f"{exc.field or 'input'}: {exc.message}") from exc
        self.stdout.write(
            f"Created {user.username} ({', '.join(options['role'])}) at {facility.code}."
        )
        if generated:
            self.stdout.write(f"Password (shown once): {password}")
