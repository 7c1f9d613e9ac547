"""What every Flask app of a test process compiles, compiled once per process.

The suite creates an app per test (about a thousand): each compiled the URL builders of its
~200 routes (werkzeug turns every rule into Python code, twice) and every template it rendered
(Jinja parses and compiles per environment). That was a third of the suite's CPU time. A
production process creates one app, so this lives in the tests: installed by ``conftest.py``.

Both caches key on what the compiled code depends on, so a changed rule or template is compiled
again: Jinja's bytecode cache checks the template source's checksum; a URL builder depends only
on the rule's text, its host/subdomain matching, slash merging and whether unknown arguments are
appended (rules with defaults are left to werkzeug, their builders fold the defaults in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule


class SharedTemplateCode(BytecodeCache):
    """Jinja's compiled templates kept in memory for every environment of the process."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


class SharedBuilderRule(Rule):
    """A URL rule whose compiled builders are shared by identical rules of other apps."""

    _builders: ClassVar[dict[tuple[object, ...], Callable[..., tuple[str, str]]]] = {}

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        if self.defaults or self.map is None:
            return super()._compile_builder(append_unknown)
        key = (
            self.rule,
            self.subdomain,
            self.host,
            self.map.host_matching,
            self.merge_slashes,
            append_unknown,
        )
        builder = self._builders.get(key)
        if builder is None:
            builder = self._builders[key] = super()._compile_builder(append_unknown)
        return builder


def install() -> None:
    """Make every Flask app created from now on in this process use both caches."""
    options: dict[str, Any] = dict(Flask.jinja_options)
    options["bytecode_cache"] = SharedTemplateCode()
    Flask.jinja_options = options
    Flask.url_rule_class = SharedBuilderRule
