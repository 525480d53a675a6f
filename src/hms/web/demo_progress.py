"""Loading the demo, shown as it happens: a progress bar on a terminal, and one plain line
per step anywhere else (a CI log, a file), where a bar's carriage returns and escape codes
would only be noise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _
from tqdm import tqdm


class _AsWritten:
    """A command's output written as given: tqdm writes carriage returns, not lines, and
    the command's wrapper would end each write with a newline."""

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="")

    def flush(self) -> None:
        self.out.flush()


class DemoProgress:
    """Steps of loading the demo, each with its share of the whole (any unit)."""

    def __init__(self, out: OutputWrapper | None = None, total: int = 100) -> None:
        self.out = out
        self.bar = None
        if out is not None and out.isatty():
            self.bar = tqdm(
                total=total,
                file=_AsWritten(out),
                bar_format="{desc:<30} {bar} {percentage:3.0f}% {elapsed}",
                ncols=80,
            )

    @contextmanager
    def step(self, label: str, share: int) -> Iterator[None]:
        if self.bar is not None:
            self.bar.set_description_str(label)
        elif self.out is not None:
            self.out.write(f"  {label}")
            self.out.flush()
        yield
        if self.bar is not None:
            self.bar.update(share)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.set_description_str(_("Demo hospital loaded"))
            self.bar.close()
