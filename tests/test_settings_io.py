"""`quorum config import`: nothing dropped silently, exactly what was imported is said."""

from __future__ import annotations

import pytest

from sidecar.context import Services, resolve_association
from sidecar.errors import ConfigError
from sidecar.services.settings_io import export_settings, import_settings
from sidecar.storage.models import Body

SENSITIVE = 'sensitive_folders = ["Trésorerie/"]'
BASE = """
[association]
name = "Club"
timezone = "Europe/Paris"

[association.settings]
grants_folder = "Financements/"
sensitive_folders = ["Trésorerie/"]

[[members]]
name = "Karim"
email = "karim@vbc.example"
nextcloud_user = "karim"

[[bodies]]
code = "CD"
name = "Comité directeur"
kind = "bureau"
folder = "Instances/Comité directeur"
members = [{ email = "karim@vbc.example", role = "président" }]

[[collections]]
source = "club"
kind = "calendar"
path = "/remote.php/dav/calendars/x/vie/"
role = "meetings"
"""


def test_import_keeps_the_body_folder_and_says_what_it_did(services: Services) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        report = import_settings(session, association, BASE)
        body = session.query(Body).one()
        assert body.folder == "Instances/Comité directeur"
        lines = "\n".join(report.lines())
        assert "settings.grants_folder" in lines and "settings.sensitive_folders" in lines
        assert "added CD" in lines and "karim@vbc.example" in lines
        assert "no such collection here" in lines and "/vie/" in lines  # never silent
        again = import_settings(session, association, export_settings(session, association))
        assert again.bodies_updated == ["CD"] and session.query(Body).one().folder == body.folder


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("grants_folder", "grant_folder"), "Unknown key 'grant_folder'"),
        (('kind = "bureau"', 'kind = "board"'), "use one of ca, bureau, ag, age, custom"),
        (('role = "meetings"', 'role = "reunions"'), "meetings, deadlines, activities, ignore"),
        (("nextcloud_user", "nc_user"), "Unknown key 'nc_user' in [[members]]"),
        (('timezone = "Europe/Paris"', 'timezone = "Paris"'), "not a time zone"),
        (
            ('name = "Club"', 'name = "Club"\ncolour = "red"'),
            "Unknown key 'colour' in [association]",
        ),
        (
            (SENSITIVE, SENSITIVE + '\nalerts = { disabled = ["minutes_overdu"] }'),
            "'minutes_overdu' is not a valid value; use one of convocation_late, ",
        ),
        (
            (
                SENSITIVE,
                SENSITIVE + '\nalerts = { thresholds = { "minutes_overdu.lookback_days" = 9 } }',
            ),
            "'minutes_overdu' is not a valid value; use one of convocation_late, ",
        ),
        (
            (SENSITIVE, SENSITIVE + '\nalerts = { thresholds = { "rsvp_missing.days" = 9 } }'),
            "use one of convocation_not_sent.margin_days, agenda_missing.days_before",
        ),
        (
            (
                SENSITIVE,
                SENSITIVE + '\nalerts = { thresholds = { "rsvp_missing.days_before" = "x" } }',
            ),
            "rsvp_missing.days_before must be a whole number",
        ),
        (
            (SENSITIVE, SENSITIVE + "\nalerts = { minutes_overdu = { lookback_days = 30 } }"),
            "Unknown key 'minutes_overdu' in settings.alerts: the keys are thresholds, disabled",
        ),
        (
            (SENSITIVE, SENSITIVE + '\naccess = { groups = { CA = "superadmin" } }'),
            "'superadmin' is not a valid value; use one of member, officer, admin",
        ),
        (
            (SENSITIVE, SENSITIVE + '\naccess = { default_role = "boss" }'),
            "'boss' is not a valid value; use one of member, officer, admin",
        ),
        (
            (SENSITIVE, SENSITIVE + '\naccess = { CA = "admin" }'),
            "Unknown key 'CA' in settings.access: the keys are nextcloud_url, default_role, groups",
        ),
    ],
)
def test_unknown_keys_and_values_are_refused_naming_them(
    services: Services, change: tuple[str, str], says: str
) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        with pytest.raises(ConfigError) as caught:
            import_settings(session, association, BASE.replace(*change, 1))
        assert says in caught.value.message
        assert session.query(Body).count() == 0  # all or nothing


def test_known_alerts_and_access_settings_are_imported(services: Services) -> None:
    lines = (
        'alerts = { disabled = ["rsvp_missing"], escalate_after_days = 3, thresholds = '
        '{ "grant_deadline.stages" = [30, 7], "rsvp_missing.days_before" = 5 } }\n'
        'access = { default_role = "member", groups = { CA = "officer", Bureau = "admin" } }'
    )
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        import_settings(session, association, BASE.replace(SENSITIVE, f"{SENSITIVE}\n{lines}"))
        assert association.settings["access"]["groups"] == {"CA": "officer", "Bureau": "admin"}
        assert association.settings["alerts"]["disabled"] == ["rsvp_missing"]
