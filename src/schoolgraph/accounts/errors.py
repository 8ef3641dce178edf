"""The errors of accounts, keys and tokens, as leaves of the tree in :mod:`schoolgraph.errors`.

::

    BadRequestError
    ├── AccountInputError      BAD_USER_INPUT    400  (names the input at fault)
    └── KeyExistsError         KEY_EXISTS        409
    NotFoundError
    ├── UnknownAccountError    NOT_FOUND         404
    └── LinkGoneError          LINK_GONE         410  (expired, or already viewed)
    UnauthenticatedError
    └── WrongPassphraseError   WRONG_PASSPHRASE  401  (says how many attempts are left)
    ForbiddenError
    └── LinkLockedError        LINK_LOCKED       403

Messages never hold a secret, a passphrase or a token.
"""

from __future__ import annotations

from schoolgraph.errors import (
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    UnauthenticatedError,
)

__all__ = [
    "AccountInputError",
    "KeyExistsError",
    "LinkGoneError",
    "LinkLockedError",
    "UnknownAccountError",
    "WrongPassphraseError",
]


class AccountInputError(BadRequestError):
    """A value given for an account, a grant or a key breaks a rule.

    Args:
        message: A full sentence naming the bad value.
        field: The input at fault (``contactEmail``, ``passphrase``...).
    """

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field

    def to_extensions(self) -> dict[str, object]:
        return {**super().to_extensions(), "field": self.field}


class KeyExistsError(BadRequestError):
    """The account already has a key; the seed's regenerate flow deletes it first."""

    code = "KEY_EXISTS"
    http_status = 409


class UnknownAccountError(NotFoundError):
    """No account has this code."""


class LinkGoneError(NotFoundError):
    """The key-share link expired, or its key and secret were already viewed."""

    code = "LINK_GONE"
    http_status = 410


class WrongPassphraseError(UnauthenticatedError):
    """The passphrase given on a key-share link is wrong; ``attempts_left`` remain."""

    code = "WRONG_PASSPHRASE"

    def __init__(self, message: str, *, attempts_left: int) -> None:
        super().__init__(message)
        self.attempts_left = attempts_left

    def to_extensions(self) -> dict[str, object]:
        return {**super().to_extensions(), "attemptsLeft": self.attempts_left}


class LinkLockedError(ForbiddenError):
    """Three wrong passphrases locked the key-share link; a new key must be generated."""

    code = "LINK_LOCKED"
