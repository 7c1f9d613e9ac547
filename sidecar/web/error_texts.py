"""Domain errors in the reader's language.

The services raise :class:`~sidecar.errors.QuorumError` with an English ``message`` (for the CLI
and the logs) and a stable ``code`` with its ``params``; pages show the text for the code through
gettext. An error without a known code falls back to its English message.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext

from sidecar.errors import QuorumError

Text = Callable[[dict[str, object]], str]


def _texts() -> dict[str, Text]:
    # Built per call: gettext must run in the request's locale.
    return {
        "user.login": lambda p: gettext("The login must be between 1 and 200 characters."),
        "user.login_taken": lambda p: gettext(
            "There is already a user %(login)s: pick another login.", login=p["login"]
        ),
        "user.password_short": lambda p: gettext(
            "The password must have at least %(min)s characters.", min=p["min"]
        ),
        "user.role": lambda p: gettext("Choose a role from the list."),
        "user.deactivate_self": lambda p: gettext("You cannot deactivate your own account."),
        "user.last_admin": lambda p: gettext(
            "This is the last admin of the association: name another first."
        ),
        "access.groups_line": lambda p: gettext(
            "Line %(line)s: write “group = role”, with role member, officer or admin.",
            line=p["line"],
        ),
        "access.url": lambda p: gettext(
            "This address cannot be used: %(reason)s", reason=p["reason"]
        ),
        "access.default_role": lambda p: gettext("Choose a role from the list, or none."),
        "folder.not_text": lambda p: gettext(
            "The meeting folder must be text such as {body_folder}/{date:%Y-%m-%d}/."
        ),
        "folder.empty": lambda p: gettext("The meeting folder pattern is empty."),
        "folder.braces": lambda p: gettext("The meeting folder pattern has unbalanced braces { }."),
        "folder.placeholder": lambda p: gettext(
            "Unknown placeholder {%(name)s}: use %(allowed)s.",
            name=p["name"],
            allowed=p["allowed"],
        ),
        "folder.format": lambda p: gettext(
            "Only {date} takes a format, not {%(name)s:%(spec)s}.", name=p["name"], spec=p["spec"]
        ),
        "folder.no_date": lambda p: gettext(
            "The pattern needs the meeting's date, title or year, e.g. {date:%Y-%m-%d} or {title}."
        ),
        "folder.ambiguous_date": lambda p: gettext(
            "The date format must keep day, month and year apart, e.g. {date:%Y-%m-%d}."
        ),
        "folder.dots": lambda p: gettext("A folder name cannot be “.” or “..”."),
        "config.timezone": lambda p: gettext(
            "%(value)s is not a time zone: use a name such as Europe/Paris.", value=p["value"]
        ),
        "config.financial_year_end": lambda p: gettext(
            "The end of the financial year is written MM-DD, e.g. 12-31 or 06-30."
        ),
        "config.value": lambda p: gettext(
            "%(value)s is not a valid value: use one of %(allowed)s.",
            value=p["value"],
            allowed=p["allowed"],
        ),
        "setup.role": lambda p: gettext(
            "Unknown role %(role)s: choose one of %(allowed)s.",
            role=p["role"],
            allowed=p["allowed"],
        ),
        "roster.email": lambda p: gettext("%(email)s is not an e-mail address.", email=p["email"]),
        "roster.no_source": lambda p: gettext("No Nextcloud source yet: an admin adds one first."),
        "roster.body_fields": lambda p: gettext(
            "A body needs a short code (CA, BUREAU…) and a name."
        ),
        "roster.kind": lambda p: gettext("Choose a kind from the list."),
        "roster.body_taken": lambda p: gettext("A body %(body)s already exists.", body=p["body"]),
        "roster.no_body": lambda p: gettext("There is no body %(body)s.", body=p["body"]),
        "roster.group_refused": lambda p: gettext(
            "Nextcloud does not let %(login)s list the members of group %(group)s: the account "
            "is neither an admin nor a group admin of it. In Nextcloud, Users, make %(login)s a "
            "group admin of %(group)s, or seat the people invited to the body's meetings below.",
            login=p["login"],
            group=p["group"],
        ),
        "roster.no_group": lambda p: gettext(
            "Nextcloud has no group %(group)s: check its exact name in Nextcloud, Users (upper "
            "and lower case count).",
            group=p["group"],
        ),
        "roster.password_refused": lambda p: gettext(
            "Nextcloud refused the app password of source %(source)s (%(login)s): create a new "
            "one in Nextcloud (Settings, Security) and enter it on the Sources page or with "
            "`quorum source update %(source)s --password-stdin`.",
            source=p["source"],
            login=p["login"],
        ),
        "source.not_app_mode": lambda p: gettext(
            "Quorum is not running as a Nextcloud app here: a source reading through AppAPI "
            "cannot be added. Add it with its address, login and app password "
            "(`quorum source add`)."
        ),
        "source.name": lambda p: gettext(
            "Give the source a name of 1 to %(max)s characters.", max=p["max"]
        ),
        "source.name_taken": lambda p: gettext(
            "A source named %(name)s already exists: pick another name.", name=p["name"]
        ),
        "source.nc_user": lambda p: gettext(
            "Name the Nextcloud account Quorum should read as (its user id)."
        ),
        "roster.email_taken": lambda p: gettext(
            "%(email)s is already the address of another member.", email=p["email"]
        ),
        "grant.link_scheme": lambda p: gettext(
            "The link must be an address starting with https:// or http://."
        ),
    }


def error_text(err: QuorumError) -> str:
    """What ``err`` says, in the reader's language when its code is known."""
    text = _texts().get(err.code)
    if text is None:
        return err.message
    try:
        return text(dict(err.params))
    except KeyError:  # a code raised without its parameters: the English is still right
        return err.message
