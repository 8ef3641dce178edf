"""The dashboard's page shell: landmarks, navigation, the one stylesheet, strict headers.

The stylesheet is inline and allowed by its SHA-256 in the Content-Security-Policy, which
allows nothing else: no script, no external asset, no frame, forms posting only here. The
pages need no JavaScript and work offline.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from aiohttp import web

from schoolgraph.dashboard.markup import Child, Html, el, render

if TYPE_CHECKING:
    from schoolgraph.dashboard.session import AdminSession

__all__ = ["BASE", "CONTENT_SECURITY_POLICY", "PAGE_HEADERS", "STYLESHEET", "page", "redirect"]

BASE = "/admin"

STYLESHEET = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
a{color:#0b57d0}
a:focus,button:focus,input:focus,select:focus{outline:3px solid #f0a500;outline-offset:1px}
.skip{position:absolute;left:-999px}.skip:focus{left:1em;top:1em;background:#fff;padding:.5em}
header{display:flex;flex-wrap:wrap;align-items:center;gap:1em;padding:.6em 1.5em;
background:#14324f;color:#fff}
header a{color:#fff}
.brand{font-weight:700;margin:0}
nav ul{display:flex;gap:1.2em;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{text-decoration:none;border-bottom:3px solid #f0a500}
header form{margin-left:auto;display:flex;align-items:center;gap:.6em}
main{max-width:1240px;margin:0 auto;padding:1em 1.5em 3em}
h1{font-size:1.5em;margin:.4em 0 .6em}
h2{font-size:1.15em;margin:0 0 .5em}
section,.panel{background:#fff;border:1px solid #d5d9df;border-radius:6px;padding:1em;
margin:0 0 1.2em}
.section-head{display:flex;justify-content:space-between;align-items:baseline;gap:1em}
.columns{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1.2em}
.stack>section{margin-bottom:1.2em}
table{width:100%;border-collapse:collapse}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #e3e6ea;vertical-align:top}
td,tbody th{overflow-wrap:anywhere}
thead th{background:#eef1f5}
td.num,th.num{text-align:right;white-space:nowrap}
.log-grid{table-layout:fixed}
.col-date{width:10.5em}.col-user{width:13%}.col-method{width:5.5em}.col-endpoint{width:20%}
.col-status{width:13em}.col-details{width:5.5em}
.error-code{color:#b3261e;font-weight:700}
.summary{color:#5f6b7a;font-size:.9em;display:block}
ol.errors{list-style:none;margin:0;padding:0}
ol.errors li{padding:.45em 0;border-bottom:1px solid #e3e6ea}
.status-error{color:#b3261e;font-weight:600}
.notice{padding:.7em 1em;border-radius:6px;background:#e8f0fe;border:1px solid #a8c7fa}
.problem{padding:.7em 1em;border-radius:6px;background:#fce8e6;border:1px solid #f4a9a2}
form.filters{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:.8em 1.2em}
form.filters .wide{grid-column:span 2}
form.filters .actions{grid-column:1/-1;display:flex;gap:.8em}
label,legend{display:block;font-weight:600}
input[type=text],input[type=date],input[type=password],select{width:100%;padding:.35em;
border:1px solid #8c96a3;border-radius:4px;font:inherit}
select[multiple]{min-height:6.5em}
.check{font-weight:400}
button,.button{font:inherit;padding:.35em .9em;border-radius:4px;border:1px solid #14324f;
background:#14324f;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
.button.secondary,button.secondary{background:#fff;color:#14324f}
dl.facts{display:grid;grid-template-columns:14em minmax(0,1fr);gap:.3em 1em;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f4f6;padding:.7em;margin:0;
font-size:.9em}
.chart svg{width:100%;height:auto;display:block}
.legend{display:flex;gap:1.5em;margin:.3em 0 0;padding:0;list-style:none}
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.35em;vertical-align:-.1em}
.swatch.requests{background:#5b8def}.swatch.errors{background:#d93025}
.pager{display:flex;gap:1em;align-items:center;margin-top:.8em}
form.inline{display:flex;gap:.5em;align-items:center}
form.inline label{display:inline}form.inline select{width:auto}
.signin{max-width:28em;margin:3em auto}
.signin form p{margin:0 0 .9em}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
footer{max-width:1240px;margin:0 auto;padding:0 1.5em 2em;color:#5f6b7a;font-size:.85em}
"""

_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLESHEET.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_NAVIGATION = (
    (BASE, "Dashboard"),
    (f"{BASE}/logs", "Audit logs"),
    (f"{BASE}/users", "Users"),
    (f"{BASE}/endpoints", "Endpoints"),
)


def _header(session: AdminSession | None, current: str | None) -> Html:
    if session is None:
        return el("header", el("p", "schoolgraph admin", class_="brand"))
    links = (
        el("li", el("a", label, href=href, aria_current="page" if href == current else None))
        for href, label in _NAVIGATION
    )
    sign_out = el(
        "form",
        el("span", f"Signed in as {session.name} ({session.account})"),
        el("input", type="hidden", name="csrf", value=session.csrf),
        el("button", "Sign out", type="submit", class_="secondary"),
        method="post",
        action=f"{BASE}/sign-out",
    )
    return el(
        "header",
        el("p", "schoolgraph admin", class_="brand"),
        el("nav", el("ul", links), aria_label="Dashboard sections"),
        sign_out,
    )


def page(
    title: str,
    *content: Child,
    session: AdminSession | None,
    current: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A whole page: ``<h1>`` is ``title``; ``current`` is the navigation entry to mark."""
    document = render(
        Html.trusted("<!doctype html>\n"),
        el(
            "html",
            el(
                "head",
                el("meta", charset="utf-8"),
                el("meta", name="viewport", content="width=device-width, initial-scale=1"),
                el("title", f"{title} - schoolgraph admin"),
                el("style", Html.trusted(STYLESHEET)),
            ),
            el(
                "body",
                el("a", "Skip to main content", href="#main", class_="skip"),
                _header(session, current),
                el("main", el("h1", title), *content, id="main"),
                el(
                    "footer",
                    el("p", "Times are UTC. Figures come from schoolgraph's audit log."),
                ),
            ),
            lang="en",
        ),
    )
    return web.Response(
        text=document,
        status=status,
        content_type="text/html",
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def redirect(location: str) -> web.Response:
    """``303 See Other`` to a path of ours (after a form post, or to the sign-in page)."""
    return web.Response(status=303, headers={**PAGE_HEADERS, "Location": location})
