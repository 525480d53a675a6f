"""Helpers for tests of any app: sign a user in past the second factor."""

from __future__ import annotations

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts.models import User

PASSWORD = "correct-horse-battery-staple"


def verified_session(client: Client, user: User) -> Client:
    """Sign `user` in on `client` with the second factor already satisfied."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
