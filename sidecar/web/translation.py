"""Flask-Babel, with the request's catalogue looked up once per request.

Flask-Babel finds the catalogue again for every string (the request's Babel context, the
locale, the locale's identifier, the cache key): on a page of 200 strings that was a third of
the page's time (profiled on the medium benchmark data, ``bench/web.py``). The catalogue a
request uses cannot change during it (the locale is chosen once, at its first use), so it is
kept on ``g`` after the first lookup; outside a request, Flask-Babel's own lookup applies.

The templates' ``_``, ``gettext`` and ``ngettext`` are Jinja's "new style" functions (the
translation is always %-formatted with the keyword arguments, and marked safe before when the
template escapes), written here as one call each: Jinja's own go through ``Context.call`` three
times per string (the ``_`` alias, then the wrapper, then the function), which was a sixth of
the bodies page's time (240 strings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, g
from flask_babel import Domain
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

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


def _formatted(eval_ctx: EvalContext, found: str, variables: dict[str, Any]) -> str:
    """As Jinja's new-style gettext: the catalogue's text (trusted, as in Jinja) marked safe
    when the template escapes, so that only the variables are escaped; always %-formatted."""
    text = Markup(found) if eval_ctx.autoescape else found  # noqa: S704
    return text % variables


def install(app: Flask) -> None:
    """Use :class:`RequestDomain` for Python code and templates alike (after Babel's init)."""
    domain = RequestDomain()
    app.extensions["babel"].instance.domain_instance = domain
    env = app.jinja_env
    env.newstyle_gettext = True  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
    env.globals.update(_template_functions(domain.get_translations))

    @app.context_processor
    def bound() -> dict[str, Any]:
        """The same functions with this request's catalogue in hand: a page's strings then
        cost no lookup at all (macros imported without context use the globals above)."""
        found = domain.get_translations()
        return _template_functions(lambda: found)


def _template_functions(catalogue: Callable[[], Any]) -> dict[str, Callable[..., str]]:
    """``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext`` for templates."""

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
        return _formatted(eval_ctx, catalogue().ugettext(string), variables)

    @pass_eval_context
    def ngettext(
        eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        return _formatted(eval_ctx, catalogue().ungettext(singular, plural, num), variables)

    @pass_eval_context
    def pgettext(eval_ctx: EvalContext, context: str, string: str, /, **variables: Any) -> str:
        variables.setdefault("context", context)
        return _formatted(eval_ctx, catalogue().upgettext(context, string), variables)

    @pass_eval_context
    def npgettext(
        eval_ctx: EvalContext,
        context: str,
        singular: str,
        plural: str,
        num: int,
        /,
        **variables: Any,
    ) -> str:
        variables.setdefault("context", context)
        variables.setdefault("num", num)
        found = catalogue().unpgettext(context, singular, plural, num)
        return _formatted(eval_ctx, found, variables)

    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "pgettext": pgettext,
        "npgettext": npgettext,
    }
