"""The templates' ``_``/``gettext``/``ngettext`` (sidecar.web.translation) behave as Jinja's
new-style gettext: the translation is %-formatted with the keyword arguments even without any
(``%%`` becomes ``%``), the variables are escaped and the catalogue's text is not."""

from __future__ import annotations

from flask import Flask, render_template_string


def _render(app: Flask, source: str, lang: str = "fr") -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return render_template_string(source)


def test_strings_are_translated_formatted_and_escaped(app: Flask) -> None:
    assert _render(app, '{{ _("Documents") }}') == "Documents"
    assert _render(app, '{{ _("Sign out") }}') == "Se déconnecter"
    assert _render(app, '{{ gettext("Sign out") }}', "en") == "Sign out"
    assert _render(app, '{{ _("%%Y is its year") }}', "en") == "%Y is its year"
    shown = _render(app, '{{ _("Signed in as %(login)s, %(role)s.", login="<b>", role="r") }}')
    assert shown == "Connecté en tant que &lt;b&gt;, r."


def test_plurals_get_num(app: Flask) -> None:
    source = '{{ ngettext("%(num)s day", "%(num)s days", n) }}'
    with app.test_request_context("/?lang=en"):
        assert render_template_string(source, n=1) == "1 day"
        assert render_template_string(source, n=3) == "3 days"


def test_trans_blocks_still_work(app: Flask) -> None:
    source = "{% trans who='<i>' %}Hello {{ who }}{% endtrans %}"
    assert _render(app, source, "en") == "Hello &lt;i&gt;"
