"""What the browser suite checks on a page, and which pages a role may reach.

Kept apart from the tests so the checks can be read (and extended) in one place: the forbidden
tokens of a French page, the overflow measure, axe-core, and the links a role must not be shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, Rule

from sidecar.web.access import ROLES, role_of

WIDTHS = (1280, 360)
# Endpoints that answer something other than a page (JSON, ICS, probes, metrics, files).
NOT_PAGES = frozenset(
    {"static", "health.healthz", "health.readyz", "metrics.metrics", "appapi.heartbeat"}
)

# Text a French reader must never meet: untranslated English, raw codes, raw formats.
# Text inside <code>, <kbd>, <samp>, <pre>, [translate="no"] or [lang="en"] is data, not UI.
FORBIDDEN = [
    (re.compile(p, re.IGNORECASE if flags else 0), why)
    for p, flags, why in (
        (
            r"\b(Forbidden|Unauthorized|Not Found|Internal Server Error|Method Not Allowed)\b",
            1,
            "a bare HTTP error",
        ),
        (r"\b(None|True|False|null|undefined|nan)\b", 0, "a raw Python/JS value"),
        (r"\b(low|medium|high|critical|info|warning)\b", 1, "an untranslated severity"),
        (
            r"\b(present|missing|overdue|pending|done|due_soon|upcoming|reached|at_risk)\b",
            1,
            "an untranslated state",
        ),
        (
            r"\b(open|acknowledged|snoozed|resolved|accepted|declined|tentative)\b",
            1,
            "an untranslated state",
        ),
        (
            r"\b(member|officer|admin|ok|partial|failed|deferred|running|abandoned)\b",
            0,
            "an untranslated role or outcome",
        ),
        (r"\b[a-z]+_[a-z_]+\b", 0, "a raw code (snake_case)"),
        (r"(?<!responsable )\((ca|ag|bureau|custom)\)", 0, "a raw body kind"),
        (r"\badmin\.[a-z_]+\.[a-z_]+\b", 0, "a raw action code (admin.access.save)"),
        (r"\w\(s\)", 0, "a « (s) » plural"),
        (r"\b\d{4}-\d{2}-\d{2}\b", 0, "an ISO date"),
        (r"\b\d{1,2}:\d{2}:\d{2}\b", 0, "a time with seconds"),
        (r"\b\d+\.\d{2}\b", 0, "an amount with a decimal point"),
        (r"\b(the|and|of|with|your|you|yes|no|maybe|never|here|is|are|not)\b", 1, "English words"),
        (r"\{\{|\{%|%\(|\{[a-z_]+(:[^}]*)?\}", 0, "a template or format placeholder"),
    )
]

# Every text node, one per line (table cells must not run together), minus data and code.
_VISIBLE_TEXT = """() => {
  const skip = 'code, kbd, samp, pre, script, style, [translate="no"], [lang="en"]';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(skip)) parts.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
    if (el.closest(skip)) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  }
  return parts.join('\\n');
}"""
_OVERFLOW = """() => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= doc.clientWidth) return {scroll: doc.scrollWidth, client: doc.clientWidth};
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1)
    .slice(0, 3)
    .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
  return {scroll: doc.scrollWidth, client: doc.clientWidth, wide: wide};
}"""
_LINKS = """() => [
  ...[...document.querySelectorAll('a[href]')].map((a) => ['GET', a.href]),
  ...[...document.querySelectorAll('form')].map((f) => [(f.method || 'get').toUpperCase(), f.action]),
]"""


def rank(role: str) -> int:
    return -1 if role == "public" else ROLES.index(role)


@dataclass
class Findings:
    """Everything wrong on the pages one role visited, reported together."""

    problems: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def report(self) -> str:
        return "\n".join(self.problems)


def is_page(rule: Rule) -> bool:
    return (
        rule.endpoint not in NOT_PAGES
        and not rule.rule.startswith("/api/")
        and not rule.rule.endswith(".ics")
        and "GET" in (rule.methods or set())
    )


def page_rules(app: Flask, role: str) -> list[Rule]:
    """The pages ``role`` may open, from the app's url_map: new pages are covered unaided."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if is_page(rule)
        and (needed := role_of(app.view_functions[rule.endpoint])) is not None
        and rank(needed) <= rank(role)
    ]


def endpoint_of(adapter: MapAdapter, path: str, method: str) -> str | None:
    """The endpoint ``path`` reaches with ``method``, or None (another site, no route)."""
    try:
        endpoint, _ = adapter.match(path, method=method)
    except HTTPException:
        return None
    return str(endpoint)


def forbidden_text(text: str) -> list[str]:
    """The forbidden tokens found in a French page's visible text, with why."""
    found = []
    for pattern, why in FORBIDDEN:
        hits = sorted({m.group(0) for m in pattern.finditer(text)})
        if hits:
            found.append(f"{why}: {', '.join(repr(h) for h in hits[:5])}")
    return found


def visible_text(page: Any) -> str:
    return str(page.evaluate(_VISIBLE_TEXT))


def overflow(page: Any) -> str | None:
    """None when the page fits its width; else the widths and the first elements sticking out."""
    measured = page.evaluate(_OVERFLOW)
    if measured["scroll"] <= measured["client"]:
        return None
    return (
        f"{measured['scroll']} px wide for {measured['client']} px ({', '.join(measured['wide'])})"
    )


_CURRENT = """() => [...document.querySelectorAll('nav.menu [aria-current="page"]')]
  .map((a) => new URL(a.href).pathname)"""
_FIGURES = """() => [...document.querySelectorAll('.chart-table .figures')]
  .map((el) => [el.innerText.trim(), el.getBoundingClientRect().width > 0])"""


def current_menu_entries(page: Any) -> list[str]:
    """The paths of the main menu's entries marked as the current page."""
    return [str(path) for path in page.evaluate(_CURRENT)]


def chart_figures(page: Any) -> list[tuple[str, bool]]:
    """Each figure of the grants chart, as shown, and whether it takes room on the page."""
    return [(str(text), bool(shown)) for text, shown in page.evaluate(_FIGURES)]


def links(page: Any) -> list[tuple[str, str]]:
    return [(str(method), str(url)) for method, url in page.evaluate(_LINKS)]


def axe_script() -> str:
    """axe-core as bundled by the axe-playwright-python package (no download at run time)."""
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_problems(page: Any) -> list[str]:
    """axe-core's violations of any impact, one line each (rule, impact, first nodes).

    axe is in the page already: an init script of the browser context (compiled once, not
    re-sent for every page)."""
    violations = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'], performanceTimer: false})"
        ".then((r) => r.violations)"
    )
    return [
        f"axe {v['id']} ({v.get('impact')}): "
        + "; ".join(str(n.get("target")) for n in v.get("nodes", [])[:3])
        for v in violations
    ]
