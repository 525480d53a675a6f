"""The rows of a day view, written here rather than in the template: a department's
day is hundreds of rows, and the template engine spent most of the page's time on
them (UX.md: every page within 150 ms; bench/day_view.py measures it). Every value
is escaped; the markup is the same the template would give."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hms.scheduling.web.reads import DoctorDay


@dataclass(frozen=True)
class RowLinks:
    """What the rows link to, and which actions the viewer may take."""

    appointments: str  # "/appointments/"
    patients: str  # "/patients/"
    slips: str  # "/queue/tickets/"
    can_check_in: bool
    can_book: bool


def day_rows(day: DoctorDay, links: RowLinks) -> SafeString:
    parts = []
    for row in day.rows:
        time, room = escape(row.time), escape(row.room)
        for a in row.appointments:
            parts.append(
                f'<tr data-row tabindex="-1" class="st-{escape(a["status"])}">'
                f'<td class="time">{time}</td>'
                f'<td><a href="{links.patients}{a["patient"]}/" data-open>'
                f"{escape(a['name'])}</a></td>"
                f'<td class="mrn">{escape(a["mrn"])}</td><td>{escape(a["kind"])}</td>'
                f"<td>{_status(a, links)}</td><td>{room}</td>"
                f'<td class="row-actions">{_actions(a, links)}</td></tr>'
            )
        if not row.appointments:
            parts.append(_free(row, time, room))
    return mark_safe("\n".join(parts))  # noqa: S308 - every value above is escaped


def _status(a: dict, links: RowLinks) -> str:
    found = f'<span class="status {escape(a["status"])}">{escape(a["status_label"])}</span>'
    if a["ticket"]:
        found += (
            f' <a class="ticket-label small" href="{links.slips}{int(a["ticket"])}/slip/" '
            f'target="_blank">{escape(a["ticket_label"])}</a>'
        )
    return found


def _actions(a: dict, links: RowLinks) -> str:
    if a["status"] != "booked":
        return ""
    base = f"{links.appointments}{a['id']}/"
    found = ""
    if links.can_check_in:
        found += (
            f'<button type="submit" form="act" formaction="{base}check-in/" class="primary" '
            'data-row-key="i">Check in</button>'
        )
    if links.can_book:
        found += (
            f'<button type="submit" form="go" formaction="{base}reschedule/" class="link" '
            'data-row-key="r">Reschedule</button>'
            f'<button type="submit" form="go" formaction="{base}cancel/" class="link" '
            'data-row-key="x">Cancel</button>'
        )
    return found


def _free(row, time: str, room: str) -> str:
    if not row.state:
        what, kind = "Free", "free"
    elif row.state == "emergency":
        what, kind = "Free · held for emergencies", "free"
    else:
        what, kind = escape(row.state), "blocked"
    return (
        f'<tr data-row tabindex="-1" class="{kind}"><td class="time">{time}</td>'
        f'<td colspan="4">{what}</td><td>{room}</td><td></td></tr>'
    )
