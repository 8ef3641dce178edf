"""Safe HTML by construction: :class:`Html` is markup, every plain ``str`` is text.

Pages are built with :func:`el`, which escapes every child and attribute value that is not
already :class:`Html`; nothing reaches a page unescaped unless this module made it markup.
Values from the audit log (error messages, user agents, query parameters) are hostile input.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TypeAlias

__all__ = ["VOID_ELEMENTS", "Attribute", "Child", "Html", "el", "escape", "render"]


class Html(str):
    """A string that is markup already: the output of :func:`escape`, :func:`el` or
    :func:`render`, or a literal the code wrote itself with :meth:`trusted`."""

    __slots__ = ()

    @classmethod
    def trusted(cls, literal: str) -> Html:
        """Markup written in this package's source (never a value from a request or store)."""
        return cls(literal)


Child: TypeAlias = "Html | str | int | float | Iterable[Child] | None"
Attribute: TypeAlias = "str | int | float | bool | None"

VOID_ELEMENTS = frozenset({"br", "hr", "img", "input", "link", "meta"})


def escape(value: object) -> Html:
    """``value`` as text: markup characters and both quotes escaped."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def render(*children: Child) -> Html:
    """Children joined: text escaped, markup kept, ``None`` and ``False`` left out,
    iterables (lists, generators) flattened."""
    parts: list[str] = []
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, str | int | float):
            parts.append(escape(child))
        else:
            parts.append(render(*child))
    return Html("".join(parts))


def _attribute_name(name: str) -> str:
    # class_ -> class, for_ -> for, aria_label -> aria-label, http_equiv -> http-equiv.
    return name.rstrip("_").replace("_", "-")


def el(tag: str, *children: Child, **attributes: Attribute) -> Html:
    """The element ``tag`` with escaped attributes and children.

    ``True`` writes a bare attribute (``required``), ``None`` and ``False`` leave it out.
    """
    opening = [tag]
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        if value is True:
            opening.append(_attribute_name(name))
        else:
            opening.append(f'{_attribute_name(name)}="{escape(value)}"')
    start = f"<{' '.join(opening)}>"
    if tag in VOID_ELEMENTS:
        if children:
            raise ValueError(f"<{tag}> is a void element; it cannot have children.")
        return Html(start)
    return Html(f"{start}{render(*children)}</{tag}>")
