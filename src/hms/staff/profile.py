"""A practitioner's portrait and the user account they sign in with: each write one
transaction, audited."""

from __future__ import annotations

from typing import IO, Any

from django.db import transaction

from hms.accounts import policies as account_policies
from hms.audit.services import Action, record_event
from hms.core.errors import Conflict, InvalidInput, NotFound
from hms.core.models import author
from hms.patients import images
from hms.staff import policies
from hms.staff.models import Practitioner, PractitionerPhoto


def set_practitioner_photo(
    *, actor: Any, practitioner: Practitioner, upload: IO[bytes]
) -> PractitionerPhoto:
    """Store `upload` (JPEG, PNG or WebP, at most 5 MB) as the practitioner's portrait,
    replacing any earlier one. Requires MANAGE_STAFF_DIRECTORY in their facility. The
    picture is re-encoded without metadata first; anything else raises InvalidInput
    naming "photo" and changes nothing."""
    policies.check_manage_practitioner(actor, practitioner)
    picture = images.normalise_photo(images.read_upload(upload))
    user = author(actor)
    with transaction.atomic():
        Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
        photo = PractitionerPhoto.objects.filter(practitioner=practitioner).first()
        replacing = photo is not None
        if photo is None:
            photo = PractitionerPhoto(practitioner=practitioner, created_by=user)
        photo.image, photo.size = picture.jpeg, len(picture.jpeg)
        photo.width, photo.height = picture.width, picture.height
        photo.updated_by = user
        photo.save()
        record_event(
            action=Action.UPDATE if replacing else Action.CREATE,
            actor=actor,
            obj=practitioner,
            reason="photo replaced" if replacing else "photo added",
        )
    return photo


def remove_practitioner_photo(*, actor: Any, practitioner: Practitioner) -> None:
    """Delete the practitioner's portrait; NotFound when there is none."""
    policies.check_manage_practitioner(actor, practitioner)
    with transaction.atomic():
        deleted, _ = PractitionerPhoto.objects.filter(practitioner=practitioner).delete()
        if not deleted:
            raise NotFound("This practitioner has no photo.")
        record_event(action=Action.UPDATE, actor=actor, obj=practitioner, reason="photo removed")


def link_user(*, actor: Any, practitioner: Practitioner, user: Any | None) -> Practitioner:
    """Say which user account is this practitioner (their worklist, their calls from
    the queue), or unlink with None. Requires MANAGE_STAFF_DIRECTORY; the user must
    hold a role in the practitioner's facility and be no other practitioner."""
    policies.check_manage_practitioner(actor, practitioner)
    if user is not None and not account_policies.roles_in(user, practitioner.facility):
        raise InvalidInput("That user has no role in this facility.", field="user")
    with transaction.atomic():
        locked = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
        if user is not None:
            other = Practitioner.objects.filter(user=user).exclude(pk=locked.pk).first()
            if other is not None:
                raise Conflict(f"That user is already {other.display_name}.", field="user")
        before = locked.user_id
        locked.user = user
        locked.updated_by = author(actor)
        locked.save(update_fields=["user", "updated_by", "updated_at"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            reason=f"user account {'unlinked' if user is None else 'linked'} (was {before})",
        )
    return locked
