"""Request-model building blocks shared by the flows' Blueprints (pydantic, for validation and OpenAPI)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def _email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("Enter an email address like name@example.com.")
    return value


class Body(BaseModel):
    """Unknown fields are refused: a typo in a field name should not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


EmailAddress = Annotated[str, AfterValidator(_email), Field(examples=["jane@example.com"])]
# The policy (8..256 code points) gives the person-readable reasons; this bound only stops a
# megabyte "password" from reaching the hasher.
Password = Annotated[str, Field(min_length=1, max_length=4096)]
Token = Annotated[str, Field(min_length=1, max_length=512)]
Code = Annotated[str, Field(min_length=1, max_length=64)]
Locale = Annotated[str, Field(pattern="^(en|fr)$")]
