"""Serve hms with gunicorn (a production WSGI server), static files via whitenoise."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from hms.core.static import collect_if_changed


class Command(BaseCommand):
    help = "Serve hms with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=min(4, multiprocessing.cpu_count() * 2))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-collectstatic", action="store_true")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start a task worker beside the server (run `hms worker` elsewhere)",
        )

    def handle(self, *args, **options):
        if not options["no_collectstatic"] and not settings.DEBUG:
            collect_if_changed()
        from gunicorn.app.base import BaseApplication

        from hms.wsgi import application

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{options['host']}:{options['port']}")
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("accesslog", "-")
                # The access log carries method, path and status: no bodies, no query of patients.
                self.cfg.set("access_log_format", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms')
                self.cfg.set("timeout", 60)
                self.cfg.set("graceful_timeout", 10)
                # gunicorn's control socket defaults to one path per OS user; several hms
                # instances on a machine would share it. hms does not use it.
                self.cfg.set("control_socket_disable", True)

            def load(self):
                return application

        self.stdout.write(f"hms serving on http://{options['host']}:{options['port']}/")
        worker = None
        if not options["no_worker"]:
            log = settings.DATA_DIR / "worker.log"
            worker = _start_worker(log)
            self.stdout.write(f"A task worker runs beside it (messages to patients); log: {log}")
        try:
            Server().run()
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)


def _start_worker(log_path) -> subprocess.Popen:
    """One `hms worker` beside the server (messages to patients, no-shows): it ends with
    the server, even when the server is killed (--exit-with-parent). Its output (the
    console email and SMS backends print every message) goes to `log_path`, not over
    the server's. It skips the system checks this process has just run on the same
    settings: they import every view, seconds of CPU taken from the first requests."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "hms.cli", "worker", "--exit-with-parent", "--skip-checks"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
