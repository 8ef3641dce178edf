"""What a person sees on a dashboard page, read with the standard library's HTML parser:
its text, its tables (by caption) and its links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["Link", "Page", "Table", "read_page"]

_SPACE = re.compile(r"\s+")
_HIDDEN = {"style", "title", "head"}


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass
class Table:
    caption: str
    headings: list[str]
    rows: list[list[str]]

    def column(self, heading: str) -> list[str]:
        index = self.headings.index(heading)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass
class Page:
    title: str
    text: str
    tables: list[Table] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    hidden_inputs: dict[str, str] = field(default_factory=dict)

    def table(self, caption_start: str) -> Table:
        for table in self.tables:
            if table.caption.startswith(caption_start):
                return table
        raise AssertionError(
            f"No table captioned {caption_start!r}; captions: {[t.caption for t in self.tables]}"
        )

    def link(self, text: str) -> str:
        """The href of the first link whose visible text starts with ``text``."""
        for link in self.links:
            if link.text.startswith(text):
                return link.href
        raise AssertionError(f"No link {text!r}; links: {[link.text for link in self.links]}")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page(title="", text="")
        self._text: list[str] = []
        self._hidden_depth = 0
        self._title: list[str] | None = None
        self._table: Table | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._in_head = False
        self._link: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "title" and self._title is None and not self.page.title:
            self._title = []
        if tag in _HIDDEN or tag == "svg":
            self._hidden_depth += 1
        if tag == "table":
            self._table = Table("", [], [])
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a" and attributes.get("href"):
            self._link = (attributes["href"] or "", [])
        elif tag == "input" and attributes.get("type") == "hidden":
            self.page.hidden_inputs[attributes.get("name") or ""] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._title is not None:
            self.page.title = _clean("".join(self._title))
            self._title = None
        if tag in _HIDDEN or tag == "svg":
            self._hidden_depth -= 1
        if tag == "caption" and self._caption is not None and self._table is not None:
            self._table.caption = _clean("".join(self._caption))
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(_clean("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if not self._table.headings and not self._table.rows:
                self._table.headings = self._row
            else:
                self._table.rows.append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.page.tables.append(self._table)
            self._table = None
        elif tag == "a" and self._link is not None:
            href, text = self._link
            self.page.links.append(Link(_clean("".join(text)), href))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._title is not None:
            self._title.append(data)
        if self._hidden_depth:
            return
        self._text.append(data)
        for sink in (self._caption, self._cell, self._link[1] if self._link else None):
            if sink is not None:
                sink.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = _clean(" ".join(self._text))


def read_page(document: str) -> Page:
    reader = _Reader()
    reader.feed(document)
    reader.close()
    return reader.page
