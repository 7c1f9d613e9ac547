"""`quorum config import`: nothing dropped silently, exactly what was imported is said."""

from __future__ import annotations

import pytest

from sidecar.context import Services, resolve_association
from sidecar.errors import ConfigError
from sidecar.services.settings_io import export_settings, import_settings
from sidecar.storage.models import Body

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
