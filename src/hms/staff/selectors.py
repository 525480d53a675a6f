"""Reads of the staff directory: the search behind pick lists and the directory page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from hms.core.errors import NotFound
from hms.core.models import Facility
from hms.core.names import tokens
from hms.staff.inputs import clean_code, language_tag
from hms.staff.models import Practitioner, Specialty
from hms.staff.policies import scope_practitioners

MAX_LIMIT = 100


def search_practitioners(
    *,
    viewer: Any,
    facility: Facility | None,
    q: str = "",
    specialty: str = "",
    department: str = "",
    language: str = "",
    active: bool | None = True,
    limit: int = 50,
) -> list[Practitioner]:
    """The facility's practitioners matching every criterion given, by family name.

    `q` matches the start of name words in any order, accents and case ignored ("ami
    hass" finds Amina Hassan); `specialty` and `department` are codes; `language` a
    BCP 47 tag, where "sw" also finds "sw-KE". `active` None returns both. Empty for a
    viewer without VIEW_SCHEDULE in the facility. Two queries past the viewer's roles:
    the practitioners with their departments, and their specialties. Raises
    InvalidInput naming a malformed code or tag.
    """
    found = scope_practitioners(viewer, facility, Practitioner.objects.all())
    if found.query.is_empty():
        return []
    for word in tokens(q):
        found = found.filter(Q(search_name__startswith=word) | Q(search_name__contains=f" {word}"))
    if specialty:
        found = found.filter(specialties__code=clean_code(specialty, "specialty"))
    if department:
        found = found.filter(department__code=clean_code(department, "department"))
    if language:
        found = found.filter(speaks(language_tag(language, "language")))
    if active is not None:
        found = found.filter(is_active=active)
    return list(_with_related(found)[: max(1, min(limit, MAX_LIMIT))])


def speaks(tag: str) -> Q:
    """Practitioners whose languages hold `tag` or a tag it is the start of.

    JSON containment (`languages__contains`) is PostgreSQL's alone in Django. The
    stored JSON text of a list of tags made only of letters, digits and hyphens
    (inputs.language_tag) holds each tag between double quotes on both databases, so
    '"sw"' and '"sw-' match whole tags and never part of one.
    """
    return Q(languages__icontains=f'"{tag}"') | Q(languages__icontains=f'"{tag}-')


def practitioner_detail(
    *, viewer: Any, facility: Facility | None, external_id: UUID
) -> Practitioner:
    """One practitioner of the viewer's facility, or NotFound (also for another
    facility's, and for a viewer without VIEW_SCHEDULE)."""
    scoped = scope_practitioners(viewer, facility, Practitioner.objects.all())
    practitioner = _with_related(scoped.filter(external_id=external_id)).first()
    if practitioner is None:
        raise NotFound("No such practitioner.")
    return practitioner


def specialty_catalogue() -> QuerySet[Specialty]:
    """Every specialty, by name: one catalogue shared by all facilities."""
    return Specialty.objects.all()


def _with_related(qs: QuerySet[Practitioner]) -> QuerySet[Practitioner]:
    return qs.select_related("facility", "department", "user").prefetch_related("specialties")
