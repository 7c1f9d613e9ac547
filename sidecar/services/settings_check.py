"""What an association's settings file may hold, and the checks on each value.

``quorum config import`` refuses a key it does not know (naming it, with the keys it knows)
and a value outside its list (naming the valid ones), before anything is changed: a typo must
never be dropped silently. The same lists are documented in docs/settings.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sidecar.errors import ConfigError
from sidecar.rules.catalogue import CATALOGUE, RULES
from sidecar.services.accounts import ROLES
from sidecar.services.conventions import validated_meeting_folder
from sidecar.services.setup import FOLDER_ROLES

TOP_KEYS = ("association", "members", "bodies", "collections")
ASSOCIATION_KEYS = ("slug", "name", "timezone", "language", "financial_year_end", "settings")
SETTINGS_KEYS = (
    "meeting_folder",
    "grants_folder",
    "sensitive_folders",
    "checklists",
    "folder_roles",
    "alerts",
    "access",
    "setup",
    "minutes",
)
#: ``[association.settings.minutes]``: where the actions of the minutes go (services/actions.py).
MINUTES_KEYS = ("tasks_calendar", "deck_board", "deck_stack")
MEMBER_KEYS = ("name", "email", "language", "nextcloud_user")
BODY_KEYS = (
    "code", "name", "kind", "notice_days", "quorum_first", "quorum_second", "proxies_allowed",
    "proxy_cap", "remote_allowed", "minutes_due_days", "match_patterns", "folder", "members",
)  # fmt: skip
#: ``alerts``: thresholds by "<rule>.<name>", rules switched off, escalation, links' base URL.
ALERTS_KEYS = ("thresholds", "disabled", "escalate_after_days", "public_url")
#: ``access`` (Admin → Sign-in with Nextcloud): Nextcloud groups → Quorum roles.
ACCESS_KEYS = ("nextcloud_url", "default_role", "groups")
SEAT_KEYS = ("email", "role")
COLLECTION_KEYS = ("source", "kind", "path", "role", "enabled")
CHECKLIST_KEYS = ("key", "name", "patterns", "fresh", "min_amount_cents", "after_award")
KINDS = ("ca", "bureau", "ag", "age", "custom")
LANGUAGES = ("fr", "en")
COLLECTION_KINDS = ("calendar", "folder")
#: Roles a collection may have: a calendar's (guided setup) and the files root's.
COLLECTION_ROLES = ("meetings", "deadlines", "activities", "ignore", "grants", "documents")
_QUORUM = re.compile(r"^\d+(/\d+)?%?$")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def known_keys(table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    """ConfigError naming the first key of ``table`` that is not in ``allowed``."""
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"Unknown key {key!r} in {where}: the keys are {', '.join(allowed)}.",
                code="config.key",
                key=key,
                where=where,
                allowed=", ".join(allowed),
            )


def one_of(value: object, allowed: Iterable[str], what: str) -> str:
    """``value`` when it is one of ``allowed``, else ConfigError listing them."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ConfigError(
            f"{what}: {value!r} is not a valid value; use one of {', '.join(allowed)}.",
            code="config.value",
            what=what,
            value=str(value),
            allowed=", ".join(allowed),
        )
    return str(value)


def table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table.", code="config.table", where=where)
    return value


def tables(value: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where} must be a list of tables ([[{where}]]).")
    return value


def check_association(data: Mapping[str, Any]) -> None:
    known_keys(data, ASSOCIATION_KEYS, "[association]")
    if "language" in data:
        one_of(data["language"], LANGUAGES, "association.language")
    if "timezone" in data:
        try:
            ZoneInfo(str(data["timezone"]))
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ConfigError(
                f"association.timezone: {data['timezone']!r} is not a time zone; use a name "
                "such as Europe/Paris.",
                code="config.timezone",
                value=str(data["timezone"]),
            ) from err
    if "financial_year_end" in data and not _MONTH_DAY.match(str(data["financial_year_end"])):
        raise ConfigError(
            "association.financial_year_end must be MM-DD, e.g. 12-31 or 06-30.",
            code="config.financial_year_end",
        )
    if "settings" in data:
        check_settings(table(data["settings"], "[association.settings]"))


def check_settings(settings: Mapping[str, Any]) -> None:
    known_keys(settings, SETTINGS_KEYS, "[association.settings]")
    if "meeting_folder" in settings:
        validated_meeting_folder(settings["meeting_folder"])
    if "grants_folder" in settings and not isinstance(settings["grants_folder"], str):
        raise ConfigError("settings.grants_folder must be a folder path such as Subventions/.")
    folders = settings.get("sensitive_folders", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise ConfigError('settings.sensitive_folders must be a list such as ["Comptabilité/"].')
    for path, role in table(settings.get("folder_roles", {}), "folder_roles").items():
        one_of(role, FOLDER_ROLES, f"folder_roles.{path!r}")
    for funder, items in table(settings.get("checklists", {}), "checklists").items():
        for item in tables(items, f"checklists.{funder}"):
            known_keys(item, CHECKLIST_KEYS, f"checklists.{funder}")
            if "key" not in item:
                raise ConfigError(f"Every piece of checklists.{funder} needs a key.")
    check_alerts(table(settings.get("alerts", {}), "settings.alerts"))
    check_access(table(settings.get("access", {}), "settings.access"))
    table(settings.get("setup", {}), "settings.setup")
    check_minutes(table(settings.get("minutes", {}), "[association.settings.minutes]"))


def check_minutes(minutes: Mapping[str, Any]) -> None:
    """The tasks calendar and the Deck board and stack: texts, and no stack without a board."""
    known_keys(minutes, MINUTES_KEYS, "[association.settings.minutes]")
    for name in MINUTES_KEYS:
        if name in minutes and (not isinstance(minutes[name], str) or not minutes[name].strip()):
            raise ConfigError(
                f"settings.minutes.{name} must be a non-empty text, such as "
                f"{_MINUTES_EXAMPLES[name]}."
            )
    if "deck_stack" in minutes and "deck_board" not in minutes:
        raise ConfigError(
            "settings.minutes.deck_stack names a stack of the board given in deck_board: set "
            "deck_board too."
        )


_MINUTES_EXAMPLES = {
    "tasks_calendar": '"/remote.php/dav/calendars/secretariat/taches/"',
    "deck_board": '"Bureau"',
    "deck_stack": '"À faire"',
}


def check_alerts(alerts: Mapping[str, Any]) -> None:
    """Rule names against the catalogue of rules, thresholds against each rule's own."""
    known_keys(alerts, ALERTS_KEYS, "settings.alerts")
    thresholds = table(alerts.get("thresholds", {}), "settings.alerts.thresholds")
    valid = [f"{rule.name}.{name}" for rule in CATALOGUE for name in rule.thresholds]
    for key, value in thresholds.items():
        one_of(str(key).split(".")[0], RULES, "settings.alerts.thresholds")
        one_of(key, valid, "settings.alerts.thresholds")
        rule, name = str(key).split(".", 1)
        if isinstance(RULES[rule].thresholds[name], int):
            fits, what = _whole(value), "a whole number ≥ 0"
        else:
            fits = isinstance(value, list) and all(_whole(v) for v in value)
            what = "a list of whole numbers such as [30, 14, 7]"
        if not fits:
            raise ConfigError(f"settings.alerts.thresholds: {key} must be {what}.")
    disabled = alerts.get("disabled", [])
    if not isinstance(disabled, list):
        raise ConfigError('settings.alerts.disabled must be a list such as ["rsvp_missing"].')
    for rule in disabled:
        one_of(rule, RULES, "settings.alerts.disabled")
    if not _whole(alerts.get("escalate_after_days", 0)):
        raise ConfigError("settings.alerts.escalate_after_days must be a whole number ≥ 0.")
    if not isinstance(alerts.get("public_url", ""), str):
        raise ConfigError("settings.alerts.public_url must be an address such as https://….")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_access(access: Mapping[str, Any]) -> None:
    """Roles against Quorum's roles (member, officer, admin)."""
    known_keys(access, ACCESS_KEYS, "settings.access")
    if "default_role" in access:
        one_of(access["default_role"], ROLES, "settings.access.default_role")
    for group, role in table(access.get("groups", {}), "settings.access.groups").items():
        one_of(role, ROLES, f"settings.access.groups.{group}")
    if not isinstance(access.get("nextcloud_url", ""), str):
        raise ConfigError("settings.access.nextcloud_url must be an address such as https://….")


def check_member(item: Mapping[str, Any]) -> None:
    known_keys(item, MEMBER_KEYS, "[[members]]")
    if "language" in item:
        one_of(item["language"], LANGUAGES, "members.language")


def check_body(item: Mapping[str, Any]) -> None:
    code = item.get("code", "?")
    known_keys(item, BODY_KEYS, f"[[bodies]] {code}")
    if "kind" in item:
        one_of(item["kind"], KINDS, f"body {code}: kind")
    for name in ("notice_days", "proxy_cap", "minutes_due_days"):
        if name in item and (not isinstance(item[name], int) or item[name] < 0):
            raise ConfigError(f"body {code}: {name} must be a whole number ≥ 0.")
    for name in ("proxies_allowed", "remote_allowed"):
        if name in item and not isinstance(item[name], bool):
            raise ConfigError(f"body {code}: {name} must be true or false.")
    for name in ("quorum_first", "quorum_second"):
        if name in item and not _QUORUM.match(str(item[name]).replace(" ", "")):
            raise ConfigError(
                f"body {code}: {name} must be a count (5), a fraction (1/2) or a percentage."
            )
    for seat in tables(item.get("members", []), f"body {code}: members"):
        known_keys(seat, SEAT_KEYS, f"body {code}: members")


def check_collection(item: Mapping[str, Any]) -> None:
    known_keys(item, COLLECTION_KEYS, "[[collections]]")
    one_of(item.get("kind"), COLLECTION_KINDS, "collections.kind")
    if item.get("role"):
        one_of(item["role"], COLLECTION_ROLES, f"collection {item.get('path')!r}: role")


def check_document(doc: Mapping[str, Any]) -> None:
    """Every check above on a whole settings document, before anything is applied."""
    known_keys(doc, TOP_KEYS, "the file")
    check_association(table(doc.get("association", {}), "[association]"))
    for member in tables(doc.get("members", []), "members"):
        check_member(member)
    for body in tables(doc.get("bodies", []), "bodies"):
        check_body(body)
    for coll in tables(doc.get("collections", []), "collections"):
        check_collection(coll)


# --- folders named in the settings, against the mirror ----------------------------------


def _folder_key(path: str) -> tuple[str, ...]:
    """A folder path as the projection compares it: by segment, case and accents aside."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", path) if not unicodedata.combining(c)
    ).casefold()
    return tuple(" ".join(part.split()) for part in plain.strip("/").split("/") if part.strip())


def top_folders(mirrored: Iterable[str]) -> list[str]:
    """The top folders among mirrored folder paths, sorted: ["Financements/", "Instances/"]."""
    return sorted({f"{p.strip('/').split('/')[0]}/" for p in mirrored if p.strip("/")})


def missing_folders(wanted: Iterable[str], mirrored: Iterable[str]) -> list[str]:
    """The folders of ``wanted`` that are none of the ``mirrored`` folders (at any depth)."""
    known = {_folder_key(p) for p in mirrored}
    return [w for w in wanted if _folder_key(w) and _folder_key(w) not in known]
