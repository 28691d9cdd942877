"""What the API's areas share: error bodies, pagination, identifiers and safe text."""

from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from ninja import Field, Schema, Status
from pydantic import AfterValidator

# The largest id a database row can have (a 64-bit signed integer).
MAX_ID = 2**63 - 1


class ErrorOut(Schema):
    detail: str


class FormErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="Messages by field; '__all__' for the whole request."
    )


class InvalidOut(Schema):
    """ninja's answer to a request that does not match the schema."""

    detail: list[dict[str, Any]]


# Every operation that needs a token can answer these.
TOKEN_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: InvalidOut}
# ... and these, when it reads one record by id.
RECORD_ERRORS = {**TOKEN_ERRORS, 404: ErrorOut}


def _plain(value: str) -> str:
    # A NUL character cannot be stored in PostgreSQL, a lone surrogate not in UTF-8.
    if "\x00" in value:
        raise ValueError("the text contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text is not valid Unicode") from None
    return value


def text(max_length: int, **field):
    """A string type of at most `max_length` characters that the database can store."""
    return Annotated[
        str, Field(max_length=max_length, pattern=r"^[^\x00]*$", **field), AfterValidator(_plain)
    ]


Code = Annotated[str, Field(max_length=100, pattern=r"^[-a-z0-9_]+$")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=200, description="Results on one page.")
    offset: int = Field(0, ge=0, le=10_000_000, description="Results to skip.")


def page(queryset: QuerySet, params: PageParams) -> tuple[int, list]:
    """The total count and the one page of rows: two queries, whatever the page size."""
    count = queryset.count()
    return count, list(queryset[params.offset : params.offset + params.limit])


# An answer with its status code (ninja's Status; named so as not to clash with models').
Reply = Status


def choice(choices):
    """A model's TextChoices as an inline enum of its values.

    Not the enum class itself: OpenAPI components are named by class, and
    several models have a `Status` or a `State` of their own.
    """
    return Literal[tuple(choices.values)]
