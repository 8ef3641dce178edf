"""The error tree: stable codes, client extensions, and the drawing in the docstring."""

from __future__ import annotations

import re

import pytest

import schoolgraph.errors as errors_module
from schoolgraph.errors import (
    ForbiddenFieldError,
    NotFoundError,
    SchoolgraphError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)

ERROR_CLASSES = [
    getattr(errors_module, name)
    for name in errors_module.__all__
    if isinstance(getattr(errors_module, name), type)
]


def test_every_error_has_a_unique_screaming_snake_code() -> None:
    codes = [cls.code for cls in ERROR_CLASSES if cls is not SchoolgraphError]

    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[A-Z]+(_[A-Z]+)*", code), code


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_the_docstring_tree_draws_every_error_with_its_code(cls: type[SchoolgraphError]) -> None:
    tree = errors_module.__doc__ or ""
    drawn = cls.__name__ if cls is SchoolgraphError else rf"{cls.__name__}\s+{cls.code}\b"

    assert cls.__name__.endswith("Error")
    assert re.search(rf"\b{drawn}", tree), f"{cls.__name__} is missing from the tree."


def test_extensions_hold_the_code_and_only_a_known_upstream() -> None:
    assert NotFoundError("No staff member has id 7.").to_extensions() == {"code": "NOT_FOUND"}
    assert UpstreamTimeoutError(
        "Tanda did not answer in time.", upstream="tanda"
    ).to_extensions() == {
        "code": "UPSTREAM_TIMEOUT",
        "upstream": "tanda",
    }


def test_rate_limited_errors_say_when_to_retry() -> None:
    error = UpstreamRateLimitedError("TASS is rate limiting us.", upstream="tass", retry_after=30)

    assert error.to_extensions() == {
        "code": "UPSTREAM_RATE_LIMITED",
        "upstream": "tass",
        "retryAfter": 30,
    }


def test_subclasses_keep_their_parents_status_unless_they_mean_another() -> None:
    assert ForbiddenFieldError("You may not read salary.").http_status == 403
    assert UpstreamTimeoutError("Slow.", upstream="tass").http_status == 504
    assert str(NotFoundError("No staff member has id 7.")) == "No staff member has id 7."
