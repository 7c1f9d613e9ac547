"""Domain errors in the reader's language, for pages and for the command line alike.

The services raise :class:`~sidecar.errors.QuorumError` with an English ``message`` (for the
logs) and a stable ``code`` with its ``params``; :func:`error_text` says the same thing in the
reader's language from the one catalogue (``sidecar/translations``). Each text is a msgid whose
``%(name)s`` placeholders are filled from the error's ``params``. An error without a known code
falls back to its English message. No Flask here: the CLI imports this module too.
"""

from __future__ import annotations

import re

from sidecar import i18n
from sidecar.errors import QuorumError
from sidecar.i18n import N_

#: code → msgid. Grouped by what the person was doing; keep each group sorted by code.
TEXTS: dict[str, str] = {
    # accounts and access
    "user.login": N_("The login must be between 1 and 200 characters."),
    "user.login_taken": N_("There is already a user %(login)s: pick another login."),
    "user.password_short": N_("The password must have at least %(min)s characters."),
    "user.role": N_("Choose a role from the list."),
    "user.deactivate_self": N_("You cannot deactivate your own account."),
    "user.last_admin": N_("This is the last admin of the association: name another first."),
    "user.deactivated": N_("This account was deactivated by an admin of the association."),
    "user.unknown": N_("No user “%(login)s” in “%(association)s”."),
    "user.id_unknown": N_("No user %(user_id)s in this association."),
    "signin.not_member": N_(
        "The Nextcloud account %(nc_user)s is not part of %(association)s: ask an admin to add "
        "you to the roster or to a group Quorum knows."
    ),
    "access.groups_line": N_(
        "Line %(line)s: write “group = role”, with role member, officer or admin."
    ),
    "access.url": N_("This address cannot be used: %(reason)s"),
    "access.default_role": N_("Choose a role from the list, or none."),
    "token.scopes": N_("Scopes must be among %(allowed)s (got %(scopes)s)."),
    "token.unknown": N_("No API token %(token_id)s in this association: `quorum token list`."),
    "secrets.no_key_file": N_("No key file at %(path)s: nothing to rotate."),
    # associations
    "association.none": N_("No association yet: add a source first (`quorum source add`)."),
    "association.several": N_("This Quorum serves several associations: add --association SLUG."),
    "association.unknown": N_("No association “%(slug)s”. `quorum association list` shows them."),
    "association.id_unknown": N_("No association #%(association_id)s."),
    "association.gone": N_("This association no longer exists."),
    "association.slug": N_(
        "“%(slug)s” is not a valid slug: use lower-case letters, digits and dashes (for example "
        "jardins-croix-rousse)."
    ),
    "association.exists": N_(
        "An association “%(slug)s” exists already; `quorum association list`."
    ),
    # sources
    "source.none": N_(
        "Nothing to sync: no source yet. Add your Nextcloud with `quorum source add NAME --url "
        "https://cloud.example.org --login LOGIN --password-stdin` (an app password on "
        "standard input), then `quorum setup NAME --accept`."
    ),
    "source.unknown": N_("No source named “%(name)s”. `quorum source list` shows them."),
    "source.not_app_mode": N_(
        "Quorum is not running as a Nextcloud app here: a source reading through AppAPI "
        "cannot be added. Add it with its address, login and app password "
        "(`quorum source add`)."
    ),
    "source.name": N_("Give the source a name of 1 to %(max)s characters."),
    "source.name_taken": N_("A source named %(name)s already exists: pick another name."),
    "source.nc_user": N_("Name the Nextcloud account Quorum should read as (its user id)."),
    "source.appapi_options": N_("--appapi-user takes no --url, --login, --password-stdin."),
    "source.url_login": N_("Give the source's --url and --login (or --appapi-user in app mode)."),
    "source.password_stdin": N_("Give the app password on standard input with --password-stdin."),
    "source.password_empty": N_("The app password read from standard input is empty."),
    "source.new_password_empty": N_("The new app password is empty."),
    "source.nothing_to_change": N_("Nothing to change: give --password-stdin, --url or --login."),
    "source.appapi_password": N_(
        "This source reads through AppAPI: it has no app password to change."
    ),
    "source.address": N_("The address “%(url)s” cannot be used: %(reason)s"),
    "source.address_private": N_(
        "The address “%(url)s” cannot be used: %(reason)s If this Nextcloud really runs on this "
        "machine or your private network, set QUORUM_ALLOW_PRIVATE_ADDRESSES=true and try again."
    ),
    # sync jobs
    "job.interval": N_("“%(text)s” is not an interval: write 30s, 15m, 2h or 1d."),
    "job.interval_short": N_("An interval of %(text)s is too short: use at least 1m."),
    "job.cron": N_("“%(cron)s” is not a cron expression (%(reason)s)."),
    "job.schedule": N_("Give a schedule: either --every 15m or --cron '*/15 * * * *'."),
    "job.never": N_("This schedule never fires again."),
    "job.name_taken": N_("A job named “%(name)s” already exists; pick another name."),
    "job.unknown": N_("No job “%(name)s”. `quorum job list` shows them."),
    "job.running": N_("Job “%(name)s” is running already; try again when it has finished."),
    # guided setup
    "setup.role": N_("Unknown role %(role)s: choose one of %(allowed)s."),
    "setup.no_source": N_(
        "No source yet: add one with `quorum source add NAME --url URL --login LOGIN "
        "--password-stdin`, then run `quorum setup`."
    ),
    "setup.several_sources": N_(
        "Several sources (%(names)s): name the one to set up, `quorum setup NAME`."
    ),
    "setup.name_role": N_("%(option)s takes NAME=ROLE, not “%(value)s”."),
    "setup.unknown_name": N_("%(option)s: no “%(name)s” here; the names are: %(known)s."),
    "setup.nothing_applied": N_(
        "Nothing applied: run `quorum setup --accept` to apply these proposals as they are, "
        "or change one with --calendar 'NAME=ROLE' / --folder 'PATH=ROLE'."
    ),
    # settings files and settings
    "config.key": N_("Unknown key “%(key)s” in %(where)s: the keys are %(allowed)s."),
    "config.table": N_("%(where)s must be a table."),
    "config.timezone": N_("%(value)s is not a time zone: use a name such as Europe/Paris."),
    "config.financial_year_end": N_(
        "The end of the financial year is written MM-DD, e.g. 12-31 or 06-30."
    ),
    "config.value": N_("%(value)s is not a valid value: use one of %(allowed)s."),
    "config.toml": N_("The file is not valid TOML at line %(line)s, column %(column)s: %(reason)s"),
    "config.member_email": N_("Member “%(name)s” needs a valid email."),
    "config.body_code": N_("Every [[bodies]] entry needs a code (CA, BUREAU, AG...)."),
    "config.body_member": N_(
        "Body %(body)s: %(email)s is not in [[members]]; add the member first."
    ),
    "config.file_missing": N_("QUORUM_CONFIG points to %(path)s, which does not exist."),
    "config.file_toml": N_("%(path)s is not valid TOML: %(reason)s. Fix the file and start again."),
    "config.file_table": N_("%(path)s: expected a [quorum] table."),
    "config.unknown_settings": N_("Unknown setting(s): %(unknown)s. Known: %(known)s."),
    "config.setting": N_("QUORUM_%(name)s is invalid (%(reason)s). It should be: %(help)s"),
    "worker.no_queue": N_(
        "`quorum worker` runs tasks from the PostgreSQL queue: set "
        "QUORUM_TASK_QUEUE=procrastinate (and the same on `quorum scheduler`)."
    ),
    # meeting folders
    "folder.not_text": N_(
        "The meeting folder must be text such as {body_folder}/{date:%Y-%m-%d}/."
    ),
    "folder.empty": N_("The meeting folder pattern is empty."),
    "folder.braces": N_("The meeting folder pattern has unbalanced braces { }."),
    "folder.placeholder": N_("Unknown placeholder {%(name)s}: use %(allowed)s."),
    "folder.format": N_("Only {date} takes a format, not {%(name)s:%(spec)s}."),
    "folder.no_date": N_(
        "The pattern needs the meeting's date, title or year, e.g. {date:%Y-%m-%d} or {title}."
    ),
    "folder.ambiguous_date": N_(
        "The date format must keep day, month and year apart, e.g. {date:%Y-%m-%d}."
    ),
    "folder.dots": N_("A folder name cannot be “.” or “..”."),
    # bodies and roster
    "roster.email": N_("%(email)s is not an e-mail address."),
    "roster.no_source": N_("No Nextcloud source yet: an admin adds one first."),
    "roster.body_fields": N_("A body needs a short code (CA, BUREAU…) and a name."),
    "roster.kind": N_("Choose a kind from the list."),
    "roster.body_taken": N_("A body %(body)s already exists."),
    "roster.no_body": N_("There is no body %(body)s."),
    "roster.group_refused": N_(
        "Nextcloud does not let %(login)s list the members of group %(group)s: the account "
        "is neither an admin nor a group admin of it. In Nextcloud, Users, make %(login)s a "
        "group admin of %(group)s, or seat the people invited to the body's meetings below."
    ),
    "roster.email_taken": N_("%(email)s is already the address of another member."),
    "roster.no_group": N_(
        "Nextcloud has no group %(group)s: check its exact name in Nextcloud, Users (upper "
        "and lower case count)."
    ),
    "roster.password_refused": N_(
        "Nextcloud refused the app password of source %(source)s (%(login)s): create a new "
        "one in Nextcloud (Settings, Security) and enter it on the Sources page or with "
        "`quorum source update %(source)s --password-stdin`."
    ),
    "member.unknown": N_("No member with e-mail “%(email)s”: add them to a body first."),
    # alerts
    "alert.unknown": N_("No alert #%(alert_id)s."),
    "alert.action": N_("Unknown action “%(action)s”: acknowledge or snooze."),
    "alert.test_failed": N_("The test message failed: %(reason)s"),
    "alert.key_value": N_("“%(item)s” is not key=value."),
    "channel.kind": N_("Unknown channel kind “%(kind)s”: use one of %(allowed)s."),
    "channel.unknown": N_("No channel “%(name)s”. `quorum alerts channels` lists them."),
    # meetings, dossiers, files
    "meeting.unknown": N_(
        "No meeting #%(meeting_id)s: it may have been removed from the calendar."
    ),
    "prepare.no_folder": N_(
        "No Nextcloud folder is mirrored yet: add a source (`quorum source add`) first."
    ),
    "prepare.cancelled": N_("This meeting is cancelled: there is nothing to prepare."),
    "grant.link_scheme": N_("The link must be an address starting with https:// or http://."),
    "grant.unknown": N_("No grant dossier #%(grant_id)s."),
    "dossier.unknown": N_(
        "No dossier “%(key)s”: it may have been renamed or removed in Nextcloud."
    ),
    "officers.unknown": N_("No change of officers #%(change_id)s."),
    "file.gone": N_("This file is no longer in the mirror: sync again."),
    "handover.unknown": N_("No handover #%(handover_id)s."),
}

#: Codes whose text leaves out where the error is (a settings file's key): the command line,
#: which has no form field to show it beside, says it first ("association.language: …").
PLACE = {"config.value": "what"}
_PLACEHOLDER = re.compile(r"%\((\w+)\)")


def error_text(err: QuorumError, language: str, *, place: bool = False) -> str:
    """What ``err`` says in ``language`` when its code is known, else its English message.

    ``place``: put the error's place first when its text leaves it out (:data:`PLACE`).
    """
    msgid = TEXTS.get(err.code)
    if msgid is None:
        return err.message
    params = dict(err.params)
    missing = set(_placeholders(msgid)) - set(params)
    if missing:  # a code raised without its parameters: the English is still right
        return err.message
    text = i18n.gettext(language, msgid, **params)
    where = params.get(PLACE.get(err.code, ""))
    if place and where:
        return i18n.gettext(language, N_("%(place)s: %(text)s"), place=where, text=text)
    return text


def _placeholders(msgid: str) -> list[str]:
    return _PLACEHOLDER.findall(msgid)
