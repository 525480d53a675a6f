"""The navigation: each entry names the permission that shows it.

A module adds its pages here; the shell shows a user only what their roles in the
current facility allow.
"""

from __future__ import annotations

from dataclasses import dataclass

from hms.accounts.permissions import Perm


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: Perm | None  # None: everyone signed in
    shortcut: str = ""


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Home", "web:home", None, "g h"),
    NavItem("Patients", "patients:search", Perm.VIEW_PATIENT, "g p"),
    NavItem("Check-in desk", "queue:desk", Perm.CHECK_IN, "g k"),
    NavItem("Appointments", "appointments:calendar", Perm.VIEW_SCHEDULE, "g c"),
    NavItem("Doctors", "appointments:directory", Perm.VIEW_SCHEDULE, ""),
    NavItem("Waitlist", "appointments:waitlist", Perm.VIEW_SCHEDULE, ""),
    NavItem("Sessions", "appointments:sessions", Perm.MANAGE_SCHEDULES, ""),
    NavItem("Worklist", "queue:worklist", Perm.RUN_CLINIC, "g w"),
    NavItem("Billing", "billing:desk", Perm.VIEW_BILLING, "g b"),
    NavItem("Claims", "billing:claims", Perm.VIEW_BILLING, ""),
    NavItem("Billing reports", "billing_reports:index", Perm.VIEW_BILLING, ""),
    NavItem("Duplicates", "duplicates:worklist", Perm.MERGE_PATIENTS, "g d"),
    NavItem("Audit trail", "audit:search", Perm.VIEW_AUDIT, "g a"),
    NavItem("Users", "accounts:user-list", Perm.MANAGE_USERS, "g u"),
    NavItem("Facilities", "admin:index", Perm.MANAGE_FACILITY, ""),
    NavItem("API tokens", "accounts:tokens", Perm.USE_API_TOKENS, ""),
)
