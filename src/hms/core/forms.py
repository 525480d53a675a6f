from __future__ import annotations

from django import forms

from hms.core.errors import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form, against its field when the form has it."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
