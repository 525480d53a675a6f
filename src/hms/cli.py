"""The `hms` command: Django's management commands under one name, plus hms's own."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hms.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["hms", *sys.argv[1:]])


if __name__ == "__main__":
    main()
