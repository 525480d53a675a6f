"""hms demo: migrate, load the demo hospital, print how to sign in, and serve, saying
each step as it starts."""

from __future__ import annotations

import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

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
        serve = not options["no_serve"]
        # The static files are copied by a process of their own while this one migrates:
        # a second core's worth of work off the way to a serving demo.
        collecting = _collect_static() if serve and not settings.DEBUG else None
        self._say(
            _("Migrating the database (data folder: %(folder)s)...") % {"folder": settings.DATA_DIR}
        )
        call_command("migrate", interactive=False, verbosity=0)
        self._say(_("Loading the demo hospital..."))
        use_demo_provider()
        loaded = load_demo(self.stdout)
        if collecting is not None:
            self._say(_("Collecting the static files..."))
            output, _unused = collecting.communicate()
            if collecting.returncode:
                raise CommandError(_("collectstatic failed:\n%(output)s") % {"output": output})
        self._print_welcome(options, loaded, time.monotonic() - started)
        if serve:
            self._say(_("Starting the server..."))
            call_command(
                "serve",
                host=options["host"],
                port=options["port"],
                no_collectstatic=True,
            )

    def _say(self, line: str) -> None:
        # Flushed at once: piped into a log, the output would otherwise wait in a buffer.
        self.stdout.write(line)
        self.stdout.flush()

    def _print_welcome(self, options, loaded: bool, elapsed: float) -> None:
        two_factor = set(
            Role.objects.filter(requires_two_factor=True).values_list("code", flat=True)
        )
        state = _("loaded") if loaded else _("already loaded")
        out = self.stdout.write
        out("")
        out(
            _("hms demo hospital %(state)s in %(seconds).1f s (data folder: %(folder)s)")
            % {"state": state, "seconds": elapsed, "folder": settings.DATA_DIR}
        )
        if not options["no_serve"]:
            out(_("Open http://%(host)s:%(port)s/") % options)
        out(
            _("Sign in with any of these users; the password is %(password)s")
            % {"password": DEMO_PASSWORD}
        )
        for username, first, last, roles, _here in STAFF:
            note = (
                _(" (asks you to set up an authenticator app)") if two_factor & set(roles) else ""
            )
            out(f"  {username:12} {', '.join(roles):16} {first} {last}{note}")
        out("")
        self.stdout.flush()


def _collect_static() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hms.cli", "static", "-v0", "--skip-checks"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
