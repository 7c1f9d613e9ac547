"""Errors of the application layer: each one says what happened and what to do next."""

from __future__ import annotations


class QuorumError(Exception):
    """Base class of errors shown to a person (CLI line, flash message, JSON ``error``).

    ``message`` is English, for the logs (and the English command line); ``code`` (with
    ``params``) is stable, so pages and the command line say the same thing in the reader's
    language, from one catalogue (:mod:`sidecar.error_texts`).
    """

    def __init__(self, message: str, *, code: str = "", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.params = params


class ConfigError(QuorumError):
    """A setting is missing or wrong; the message names the setting and how to fix it."""


class NotFound(QuorumError):
    """A source, job, collection... named by the user does not exist."""


class SyncRefused(QuorumError):
    """The sync saw something it will not apply (a mass disappearance, an unreadable answer)."""
