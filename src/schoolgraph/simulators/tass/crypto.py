"""The legacy TASS.web `token` parameter: AES-128-ECB, PKCS#7 padding, Base64 (tass.md §A.4).

The token is the method's parameter string (JSON for `v=2`/`v=3`, a query string for `v=1`)
encrypted with the app's Base64 "Token Key" from TASS.web API Gateway Maintenance. The key
decodes to 16 bytes, so AES-128; ECB has no IV. The documented test vector is
`{"include_label":"true"}` under key `+TG1ZTqy0hTu5h0KMhCP0A==` giving
`96yfUt3jgAIYx0o7i3tjprnBpotNO3Md/yv+eToJ8qo=` (§A.4, [DOC] + [VERIFIED]).
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["TokenError", "decode_key", "decrypt_token", "encrypt_token"]

_BLOCK_BITS = 128


class TokenError(ValueError):
    """A token or key that cannot be used; TASS answers 401 (tass.md §A.4 "Server side")."""


def decode_key(token_key: str) -> bytes:
    """Decode a Base64 Token Key and check it is an AES-128 key.

    Args:
        token_key: the Base64 key as shown in TASS.web.

    Returns:
        The 16 raw key bytes.

    Raises:
        TokenError: the key is not Base64 or not 16 bytes long.
    """
    try:
        key = base64.b64decode(token_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TokenError("The token key is not valid Base64.") from exc
    if len(key) != 16:
        raise TokenError(f"The token key decodes to {len(key)} bytes; AES-128 needs 16.")
    return key


def _cipher(key: bytes) -> Cipher[modes.ECB]:
    # ECB is what the contract mandates ('AES/ECB/PKCS5Padding', tass.md §A.4), not a choice.
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305


def encrypt_token(plaintext: str, token_key: str) -> str:
    """Encrypt a parameter string into a legacy `token` (standard Base64, `=`-padded).

    Args:
        plaintext: the parameter string, e.g. `{"currentstatus":"current"}`.
        token_key: the app's Base64 Token Key.

    Returns:
        The Base64 token, not URL-encoded (URL-encode it for GET, send it raw for POST).
    """
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    data = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    encryptor = _cipher(decode_key(token_key)).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode("ascii")


def decrypt_token(token: str, token_key: str) -> str:
    """Decrypt a legacy `token` back into its parameter string.

    Args:
        token: the Base64 token as received (already URL-decoded).
        token_key: the app's Base64 Token Key.

    Returns:
        The UTF-8 parameter string.

    Raises:
        TokenError: bad Base64, a length that is not whole blocks, bad padding ("Given final
            block not proper", tass.md §A.4) or bytes that are not UTF-8.
    """
    key = decode_key(token_key)
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TokenError("The token is not valid Base64.") from exc
    if not raw or len(raw) % 16:
        raise TokenError("The token is not a whole number of AES blocks.")
    decryptor = _cipher(key).decryptor()
    padded = decryptor.update(raw) + decryptor.finalize()
    unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
    try:
        data = unpadder.update(padded) + unpadder.finalize()
        return data.decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("Given final block not proper.") from exc
