"""The loops that answer plain objects, compiled once per shape of selection.

:mod:`schoolgraph.graph.plain_fields` answers an object whose selection is plain with one
loop over its fields, each read through a small object's method (the attribute, a null
check, the scalar's coercion unless the value already is a ``str`` or ``bool``). Profiled on
a warm big list (5,000 students x 10 fields), those calls were two fifths of the request's
time: half a million method calls for what is, per field, one attribute read and one type
check.

Here a selection's reads become straight-line Python: per field, ``value = item.attribute``
and ``if type(value) is not str: value = fix(value)``; per object, one dict display. The
code depends only on the selection's *shape* (which kind each field is, the attribute it
reads, whether its value may be taken as it is), so it is compiled once per shape for the
process (a bounded memo) and each execution binds its own values to it: the answer's keys
(the client's aliases), the coercions, the inline resolvers bound to the request. No key,
alias or value is ever part of the source; attribute names are, checked to be ASCII Python
identifiers (anything else is read with ``getattr`` and a bound name).

Semantics are the reads' own (:class:`Attribute`, :class:`Constant`, :class:`Call`): a read
that raises anything but ``irregular`` raises ``irregular`` from it, so the caller hands
the object (or the list) to graphql-core as it did before.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

__all__ = ["Attribute", "Call", "Constant", "Loops", "Read", "compile_loops"]

SHAPES: Final = 512
"""Most shapes whose compiled code is kept (a shape's code is a few kilobytes)."""


@dataclass(frozen=True, slots=True)
class Attribute:
    """A field answered by an attribute of the object: ``value`` when it is of type
    ``as_is`` exactly, else ``fix(value)`` (which raises the caller's ``irregular`` when the
    object cannot take the short way)."""

    key: str
    name: str
    as_is: type | None
    fix: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Constant:
    """A field whose answer is the same for every object (``__typename``)."""

    key: str
    value: Any


@dataclass(frozen=True, slots=True)
class Call:
    """A field answered by ``read(object)``."""

    key: str
    read: Callable[[Any], Any]


Read = Attribute | Constant | Call


@dataclass(frozen=True, slots=True)
class Loops:
    """A selection's compiled reads.

    Attributes:
        one: the answer (a dict) for one object.
        every: the answers for a list of objects (``every(items, nullable)``); a None item
            is answered None where ``nullable``.
    """

    one: Callable[[Any], dict[str, Any]]
    every: Callable[[Sequence[Any], bool], list[Any]]


def compile_loops(
    reads: Sequence[Read],
    *,
    origin: type | None,
    castable: bool,
    cast_attribute: str,
    irregular: type[Exception],
) -> Loops:
    """The loops answering ``reads`` of objects.

    Args:
        reads: the fields, in the answer's order.
        origin: the only class of object taken; None takes any (a check made elsewhere).
        castable: whether an object may carry ``cast_attribute`` in its ``__dict__`` (a
            ``strawberry.cast``), which makes it irregular.
        cast_attribute: that attribute's name.
        irregular: raised for an object the loops cannot answer (and from any other error
            a read raises).
    """
    shape = tuple(_shape(read) for read in reads)
    factory = _factory(shape, origin is not None, castable)
    values: list[Any] = [origin, cast_attribute, irregular]
    for read in reads:
        values.append(read.key)
        if isinstance(read, Attribute):
            values.extend((read.name, read.as_is, read.fix))
        elif isinstance(read, Constant):
            values.append(read.value)
        else:
            values.append(read.read)
    one, every = factory(*values)
    return Loops(one, every)


def _shape(read: Read) -> tuple[str, str | None, bool]:
    """What the code of a read depends on: its kind, the attribute it reads (when it is
    written into the code) and whether its value may be taken as it is."""
    if isinstance(read, Attribute):
        return "attribute", read.name if _writable(read.name) else None, read.as_is is not None
    if isinstance(read, Constant):
        return "constant", None, False
    return "call", None, False


def _writable(name: str) -> bool:
    """Whether ``name`` may be written into the code as an attribute: an ASCII identifier
    (Python reads other identifiers in their NFKC form, which may name another attribute)
    and not a keyword."""
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)


@lru_cache(maxsize=SHAPES)
def _factory(
    shape: tuple[tuple[str, str | None, bool], ...], checked: bool, castable: bool
) -> Callable[..., tuple[Any, Any]]:
    """The compiled factory of a shape: called with the values the shape leaves out, it
    answers the ``one`` and ``every`` loops bound to them."""
    parameters = ["origin", "cast", "irregular"]
    body: list[str] = []  # the reads of one object ``o`` into v0, v1, ...
    answer: list[str] = []
    for n, (kind, name, as_is) in enumerate(shape):
        parameters.append(f"k{n}")
        answer.append(f"k{n}: v{n}")
        if kind == "attribute":
            parameters.extend((f"a{n}", f"t{n}", f"f{n}"))
            body.append(f"v{n} = o.{name}" if name is not None else f"v{n} = getattr(o, a{n})")
            if as_is:
                body.append(f"if type(v{n}) is not t{n}: v{n} = f{n}(v{n})")
            else:
                body.append(f"v{n} = f{n}(v{n})")
        elif kind == "constant":
            parameters.append(f"c{n}")
            body.append(f"v{n} = c{n}")
        else:
            parameters.append(f"r{n}")
            body.append(f"v{n} = r{n}(o)")
    if not body:
        body.append("pass")
    regular = "type(o) is origin" if checked else "True"
    if castable:
        regular += " and cast not in o.__dict__"
    display = "{" + ", ".join(answer) + "}"
    lines = [
        f"def factory({', '.join(parameters)}):",
        "    def one(o):",
        f"        if not ({regular}):",
        "            raise irregular",
        "        try:",
        *(f"            {line}" for line in body),
        "        except irregular:",
        "            raise",
        "        except Exception as error:",
        "            raise irregular from error",
        f"        return {display}",
        "    def every(items, nullable):",
        "        out = []",
        "        append = out.append",
        "        try:",
        "            for o in items:",
        f"                if not ({regular}):",
        "                    if o is None and nullable:",
        "                        append(None)",
        "                        continue",
        "                    raise irregular",
        *(f"                {line}" for line in body),
        f"                append({display})",
        "        except irregular:",
        "            raise",
        "        except Exception as error:",
        "            raise irregular from error",
        "        return out",
        "    return one, every",
    ]
    # The source holds only the shape: kinds, and attribute names that are identifiers (the
    # schema's own); every key, alias and value is an argument of the factory.
    code = compile("\n".join(lines), "<schoolgraph.graph.plain_loops>", "exec")
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - generating this code is the module's purpose
    factory: Callable[..., tuple[Any, Any]] = namespace["factory"]
    return factory
