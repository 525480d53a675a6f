"""hms keys status | rotate [--resume] [--batch-size N] | retire KEY_ID

Keys live in <data folder>/keys.json (or HMS_FIELD_KEYS / HMS_INDEX_KEY). `rotate` adds
a new current key and re-encrypts every encrypted value an older key wrote, in batches;
`rotate --resume` finishes a rotation that was stopped, without adding another key.
The blind-index key is not rotated: the indexes would all change at once.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from hms.core import crypto, keys


class Command(BaseCommand):
    help = "Encryption keys of the encrypted fields: status, rotate, retire."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="How many values each key protects.")
        rotate = sub.add_parser("rotate", help="Add a new key and re-encrypt with it.")
        rotate.add_argument(
            "--resume",
            action="store_true",
            help="Finish a stopped rotation with the current key; add no key.",
        )
        rotate.add_argument("--batch-size", type=int, default=keys.BATCH_SIZE)
        retire = sub.add_parser("retire", help="Remove a key no value uses any more.")
        retire.add_argument("key_id")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "status":
            self._status()
        elif action == "rotate":
            self._rotate(options["resume"], options["batch_size"])
        else:
            self._retire(options["key_id"])

    def _status(self) -> None:
        ring = crypto.keyring()
        for key_id, columns in keys.usage().items():
            note = " (current)" if key_id == ring.current_id else ""
            if key_id == "?":
                note = " (values with no key id this installation holds)"
            self.stdout.write(f"{key_id}{note}: {sum(columns.values())} value(s)")
            for label, n in sorted(columns.items()):
                self.stdout.write(f"    {label}: {n}")

    def _rotate(self, resume: bool, batch_size: int) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if not resume:
            try:
                key_id = crypto.add_key()
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Added key {key_id}; it encrypts from now on.")
        current = crypto.keyring().current_id
        total = 0
        for column, stale in keys.columns_to_rotate():
            with tqdm(
                total=stale,
                desc=column.label,
                unit=" values",
                disable=not sys.stderr.isatty(),
                file=sys.stderr,
            ) as bar:
                done = keys.rotate_column(column, batch_size=batch_size, on_batch=bar.update)
            self.stdout.write(f"{column.label}: {done} value(s) re-encrypted with {current}.")
            total += done
        self.stdout.write(f"Done: {total} value(s) re-encrypted; every value uses {current}.")
        self.stdout.write(
            "Restart the app servers so they write with the new key, then run "
            "`hms keys rotate --resume` once more for what they wrote meanwhile. "
            "Back up keys.json now: without it the data cannot be read."
        )

    def _retire(self, key_id: str) -> None:
        try:
            keys.retire(key_id)
        except KeyError as exc:
            raise CommandError(f"No key {key_id!r}.") from exc
        except (keys.KeyInUse, RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Retired {key_id}.")
