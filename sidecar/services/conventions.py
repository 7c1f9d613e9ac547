"""The association's folder conventions, read from and written to ``Association.settings``.

``settings["meeting_folder"]`` is a pattern such as ``{body_folder}/{date:%Y-%m-%d}/`` (the
default) or ``{body_folder}/{date:%Y}/{date:%m-%d} {body}/``; readiness, "Prepare a meeting" and
the documents page all read it from here, so they always agree on where a meeting's files are.
"""

from __future__ import annotations

from sidecar.errors import ConfigError
from sidecar.projection.documents import (
    DEFAULT_MEETING_FOLDER,
    FolderPatternError,
    check_meeting_folder,
)
from sidecar.storage.models import Association

MEETING_FOLDER = "meeting_folder"


def meeting_folder_pattern(association: Association) -> str:
    """The association's meeting folder pattern; the default when unset or unusable."""
    stored = (association.settings or {}).get(MEETING_FOLDER)
    if not isinstance(stored, str) or not stored.strip():
        return DEFAULT_MEETING_FOLDER
    try:
        return check_meeting_folder(stored)
    except FolderPatternError:
        return DEFAULT_MEETING_FOLDER  # a hand-edited database: never break the meetings pages


def set_meeting_folder(association: Association, pattern: str) -> str:
    """Validate and store ``pattern`` ("" restores the default); ConfigError says what to fix."""
    settings = dict(association.settings or {})
    if pattern.strip():
        settings[MEETING_FOLDER] = validated_meeting_folder(pattern)
    else:
        settings.pop(MEETING_FOLDER, None)
    association.settings = settings  # a new dict, so the JSON column is marked changed
    return meeting_folder_pattern(association)


def validated_meeting_folder(pattern: object) -> str:
    """The tidied pattern, or ConfigError naming the problem."""
    if not isinstance(pattern, str):
        raise ConfigError(
            "meeting_folder must be text such as {body_folder}/{date:%Y-%m-%d}/.",
            code="folder.not_text",
        )
    try:
        return check_meeting_folder(pattern)
    except FolderPatternError as err:
        # codes "folder.empty", "folder.placeholder"... (see check_meeting_folder)
        raise ConfigError(
            f"Meeting folder pattern: {err}", code=f"folder.{err.code}", **err.params
        ) from err
