"""Who the patients named in the trail are, for the auditor.

The trail stores patients by public id and sits below the registry, so the registry
hands in its lookups when it starts (`PatientsConfig.ready`) instead of the trail
importing it. Without one (the trail on its own), ids are matched as typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PatientLabel:
    name: str
    mrn: str


class Directory(Protocol):
    def patients_matching(self, text: str) -> list[str]:
        """Public ids of the patients `text` names: an MRN, or words of a name."""

    def labels(self, patient_ids: Iterable[str]) -> dict[str, PatientLabel]:
        """Name and MRN of each of these patients that exists."""


_directory: Directory | None = None


def register(directory: Directory) -> None:
    global _directory  # noqa: PLW0603 - one registry, set once at start-up
    _directory = directory


def patients_matching(text: str) -> list[str]:
    return _directory.patients_matching(text) if _directory else []


def labels(patient_ids: Iterable[str]) -> dict[str, PatientLabel]:
    return _directory.labels(patient_ids) if _directory else {}
