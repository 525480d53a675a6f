from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    """Caps password length: argon2 on a megabyte of input is a denial of service."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                "This password is too long (at most %(max)d characters).",
                code="password_too_long",
                params={"max": self.max_length},
            )

    def get_help_text(self) -> str:
        return f"Your password can be at most {self.max_length} characters."
