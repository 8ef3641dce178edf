"""Making credentials and keeping only what cannot give them back.

- Secrets and passphrases: scrypt (``hashlib.scrypt``, OpenSSL's), salted per value, with
  their cost kept in the encoded hash (``scrypt$n$r$p$salt$hash``) so it can be raised later
  without invalidating old hashes. The default cost, N=2**14, r=8, p=5 (16 MiB, about 0.2 s
  here), is one of OWASP's recommended scrypt settings.
- A passphrase's one derivation gives 64 bytes: the first half is stored as its verifier,
  the second half is the AES-256-GCM key that seals the new secret until its single view,
  and is never stored. A stolen database therefore needs the passphrase to open the secret.
- Tokens and link ids are 256 and 192 random bits: a plain SHA-256 digest cannot be reversed,
  and a slow hash on every request would only hand attackers a way to load the server.

Every comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "DEFAULT_COST",
    "ScryptCost",
    "digest",
    "hash_secret",
    "new_key_id",
    "new_link_id",
    "new_secret",
    "new_token",
    "open_passphrase",
    "seal",
    "seal_with_passphrase",
    "unseal",
    "verify_secret",
]

_SCHEME = "scrypt"
_SALT_BYTES = 16
_HASH_BYTES = 32
_NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """scrypt's cost parameters: CPU/memory cost ``n``, block size ``r``, parallelism ``p``."""

    n: int = 2**14
    r: int = 8
    p: int = 5

    @property
    def maxmem(self) -> int:
        # OpenSSL needs about 128 * r * n bytes (plus slack) and refuses more than maxmem.
        return 256 * self.r * self.n + 1024 * 1024


DEFAULT_COST = ScryptCost()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(value: str, salt: bytes, cost: ScryptCost, length: int) -> bytes:
    return hashlib.scrypt(
        value.encode("utf-8"),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.maxmem,
        dklen=length,
    )


def _encode(cost: ScryptCost, salt: bytes, derived: bytes) -> str:
    return f"{_SCHEME}${cost.n}${cost.r}${cost.p}${_b64(salt)}${_b64(derived)}"


def _decode(encoded: str) -> tuple[ScryptCost, bytes, bytes]:
    scheme, n, r, p, salt, derived = encoded.split("$")
    if scheme != _SCHEME:
        raise ValueError(f"Unknown hash scheme {scheme!r}.")
    return ScryptCost(int(n), int(r), int(p)), _unb64(salt), _unb64(derived)


def hash_secret(value: str, cost: ScryptCost = DEFAULT_COST) -> str:
    """The encoded salted scrypt hash of ``value``."""
    salt = os.urandom(_SALT_BYTES)
    return _encode(cost, salt, _scrypt(value, salt, cost, _HASH_BYTES))


def verify_secret(value: str, encoded: str) -> bool:
    """Whether ``value`` is the secret ``encoded`` was made from."""
    cost, salt, expected = _decode(encoded)
    return hmac.compare_digest(_scrypt(value, salt, cost, len(expected)), expected)


def seal_with_passphrase(passphrase: str, cost: ScryptCost = DEFAULT_COST) -> tuple[str, bytes]:
    """The passphrase's encoded verifier, and the sealing key only the passphrase gives."""
    salt = os.urandom(_SALT_BYTES)
    derived = _scrypt(passphrase, salt, cost, 2 * _HASH_BYTES)
    return _encode(cost, salt, derived[:_HASH_BYTES]), derived[_HASH_BYTES:]


def open_passphrase(passphrase: str, encoded: str) -> bytes | None:
    """The sealing key when ``passphrase`` matches its verifier ``encoded``, else None."""
    cost, salt, verifier = _decode(encoded)
    derived = _scrypt(passphrase, salt, cost, 2 * _HASH_BYTES)
    if not hmac.compare_digest(derived[:_HASH_BYTES], verifier):
        return None
    return derived[_HASH_BYTES:]


def seal(secret: str, key: bytes, context: str) -> bytes:
    """``secret`` encrypted with AES-256-GCM under ``key``, bound to ``context``."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, secret.encode("utf-8"), context.encode("utf-8"))


def unseal(sealed: bytes, key: bytes, context: str) -> str | None:
    """The secret :func:`seal` sealed, or None when the key or context is not the one used."""
    nonce, box = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, box, context.encode("utf-8")).decode("utf-8")
    except InvalidTag:
        return None


def digest(value: str) -> str:
    """The hex SHA-256 of a high-entropy value (a token, a link id)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_key_id() -> str:
    """A client key: public, like a user name, but unguessable."""
    return "sgk_" + secrets.token_urlsafe(18)


def new_secret() -> str:
    """A client secret (256 random bits)."""
    return "sgs_" + secrets.token_urlsafe(32)


def new_token() -> str:
    """A bearer token (256 random bits)."""
    return "sgt_" + secrets.token_urlsafe(32)


def new_link_id() -> str:
    """The id in a key-share link (192 random bits)."""
    return secrets.token_urlsafe(24)
