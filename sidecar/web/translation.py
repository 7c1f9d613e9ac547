"""Flask-Babel, with the request's catalogue looked up once per request.

Flask-Babel finds the catalogue again for every string (the request's Babel context, the
locale, the locale's identifier, the cache key): on a page of 200 strings that was a third of
the page's time (profiled on the medium benchmark data, ``bench/web.py``). The catalogue a
request uses cannot change during it (the locale is chosen once, at its first use), so it is
kept on ``g`` after the first lookup; outside a request, Flask-Babel's own lookup applies.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import Domain

_KEY = "_quorum_translations"


class RequestDomain(Domain):  # type: ignore[misc]
    """The default domain, its catalogue remembered for the rest of the request."""

    def get_translations(self) -> Any:
        try:
            return getattr(g, _KEY)
        except AttributeError:
            pass
        except RuntimeError:  # no application context: nothing to remember it on
            return super().get_translations()
        found = super().get_translations()
        setattr(g, _KEY, found)
        return found


def install(app: Flask) -> None:
    """Use :class:`RequestDomain` for Python code and templates alike (after Babel's init)."""
    domain = RequestDomain()
    app.extensions["babel"].instance.domain_instance = domain
    catalogue = domain.get_translations
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
