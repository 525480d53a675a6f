"""hms demo: migrate, load the demo hospital, print how to sign in, and serve."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from hms.accounts.models import Role
from hms.web.demo import DEMO_PASSWORD, STAFF, load_demo, use_demo_provider


class Command(BaseCommand):
    help = "Start hms with a demo hospital loaded."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Load the demo and exit.")

    def handle(self, *args, **options):
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        use_demo_provider()
        loaded = load_demo()
        if not options["no_serve"] and not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        elapsed = time.monotonic() - started
        self._print_welcome(options, loaded, elapsed)
        if not options["no_serve"]:
            call_command(
                "serve",
                host=options["host"],
                port=options["port"],
                no_collectstatic=True,
            )

    def _print_welcome(self, options, loaded: bool, elapsed: float) -> None:
        two_factor = set(
            Role.objects.filter(requires_two_factor=True).values_list("code", flat=True)
        )
        state = "loaded" if loaded else "already loaded"
        out = self.stdout.write
        out("")
        out(f"hms demo hospital {state} in {elapsed:.1f} s (data folder: {settings.DATA_DIR})")
        if not options["no_serve"]:
            out(f"Open http://{options['host']}:{options['port']}/")
        out(f"Sign in with any of these users; the password is {DEMO_PASSWORD}")
        for username, first, last, roles, _ in STAFF:
            note = " (asks you to set up an authenticator app)" if two_factor & set(roles) else ""
            out(f"  {username:12} {', '.join(roles):16} {first} {last}{note}")
        out("")
