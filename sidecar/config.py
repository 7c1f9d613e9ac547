"""Process settings: one declared schema, read from ``QUORUM_*`` variables and an optional TOML file.

Every option is declared once in :data:`OPTIONS` with its type, default and help text (the way
Radicale declares its configuration), validated at start-up, and reported with a message that says
which variable to fix. The association's own settings (bodies, roster, collection roles) are not
here: they live in the database and move as TOML with ``quorum config export/import``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sidecar.errors import ConfigError


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value!r}")
    return number


def _task_queue(value: str) -> str:
    if value not in {"embedded", "procrastinate"}:
        raise ValueError(f"expected embedded or procrastinate, got {value!r}")
    return value


def _mode(value: str) -> str:
    if value not in {"standalone", "appapi"}:
        raise ValueError(f"expected standalone or appapi, got {value!r}")
    return value


def _language(value: str) -> str:
    if value not in {"fr", "en"}:
        raise ValueError(f"expected fr or en, got {value!r}")
    return value


@dataclass(frozen=True)
class Option:
    name: str
    convert: Callable[[str], Any]
    help: str


OPTIONS: tuple[Option, ...] = (
    Option("data_dir", Path, "Folder for the SQLite database, the key file and demo data."),
    Option("database_url", str, "SQLAlchemy URL; default sqlite:///<data_dir>/quorum.db."),
    Option("secret_key", str, "Flask session signing key; default: generated into data_dir."),
    Option("key_file", Path, "File holding the encryption key(s) for secrets at rest."),
    Option("host", str, "Address the web UI listens on."),
    Option("port", int, "Port the web UI listens on."),
    Option("language", _language, "Default UI language (fr or en)."),
    Option("timezone", str, "Default time zone of a new association."),
    Option("allow_private_addresses", _bool, "Allow sources on loopback/private networks."),
    Option("http_timeout", _positive_float, "Seconds allowed for one HTTP request, overall."),
    Option("job_timeout", _positive_float, "Seconds allowed for one sync run, overall."),
    Option(
        "alerts_interval", _positive_float, "Seconds between two alerts cycles per association."
    ),
    Option("scheduler", _bool, "Run the scheduler inside `quorum serve` (behind a DB lease)."),
    Option("log_level", str, "Logging level (DEBUG, INFO, WARNING...)."),
    Option(
        "scheduler_tick", _positive_float, "Seconds between the scheduler's looks for due jobs."
    ),
    Option("sync_workers", _positive_int, "Sync runs at once in one scheduler or worker process."),
    Option(
        "sync_per_host",
        _positive_int,
        "Sync runs at once against one Nextcloud host (so one slow host cannot take every worker).",
    ),
    Option(
        "task_queue",
        _task_queue,
        "embedded (the scheduler runs syncs itself) or procrastinate (`quorum worker` processes do).",
    ),
    Option("mode", _mode, "standalone, or appapi when Nextcloud runs Quorum as an external app."),
    Option("app_id", str, "AppAPI: the app id Nextcloud registered (EX-APP-ID)."),
    Option("app_version", str, "AppAPI: the app version Nextcloud registered (EX-APP-VERSION)."),
    Option("app_secret", str, "AppAPI: the shared secret Nextcloud generated (APP_SECRET)."),
    Option("nextcloud_url", str, "AppAPI: the Nextcloud address as reachable from Quorum."),
    Option(
        "appapi_association",
        str,
        "AppAPI: slug of the association the app serves; default: the only association.",
    ),
    Option(
        "operator_association",
        str,
        "Slug of the association whose admins operate this Quorum: they see every association.",
    ),
    Option("metrics_token", str, "Bearer token required by /metrics; empty means /metrics is off."),
    Option(
        "webhook_secret",
        str,
        "Shared secret Nextcloud's webhook_listeners sends in X-Quorum-Webhook-Secret; empty: off.",
    ),
)


@dataclass(frozen=True)
class Settings:
    """Validated process settings."""

    data_dir: Path = Path(".quorum")
    database_url: str = ""
    secret_key: str = ""
    key_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 5000
    language: str = "fr"
    timezone: str = "Europe/Paris"
    allow_private_addresses: bool = False
    http_timeout: float = 60.0
    job_timeout: float = 900.0
    alerts_interval: float = 300.0
    scheduler: bool = True
    log_level: str = "INFO"
    scheduler_tick: float = 5.0
    sync_workers: int = 4
    sync_per_host: int = 2
    task_queue: str = "embedded"
    mode: str = "standalone"
    app_id: str = "quorum"
    app_version: str = ""
    app_secret: str = field(default="", repr=False)
    nextcloud_url: str = ""
    appapi_association: str = ""
    operator_association: str = ""
    metrics_token: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'quorum.db').resolve()}"

    @property
    def effective_app_version(self) -> str:
        """The version registered in Nextcloud: ``QUORUM_APP_VERSION``, else the package's."""
        from sidecar import __version__

        return self.app_version or __version__

    @property
    def effective_key_file(self) -> Path:
        return self.key_file or self.data_dir / "secret.key"


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Read ``QUORUM_CONFIG`` (a TOML file, optional), then ``QUORUM_*`` variables, then overrides."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    config_path = env.get("QUORUM_CONFIG")
    if config_path:
        raw.update(_read_toml(Path(config_path)))
    for option in OPTIONS:
        key = f"QUORUM_{option.name.upper()}"
        if key in env:
            raw[option.name] = env[key]
    raw.update(overrides or {})
    return _validate(raw)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as err:
        raise ConfigError(
            f"QUORUM_CONFIG points to {path}, which does not exist.",
            code="config.file_missing",
            path=path,
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            f"{path} is not valid TOML: {err}. Fix the file and start again.",
            code="config.file_toml",
            path=path,
            reason=err,
        ) from err
    section = data.get("quorum", data)
    if not isinstance(section, dict):
        raise ConfigError(
            f"{path}: expected a [quorum] table.", code="config.file_table", path=path
        )
    return section


def _validate(raw: Mapping[str, Any]) -> Settings:
    known = {option.name: option for option in OPTIONS}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(
            f"Unknown setting(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.",
            code="config.unknown_settings",
            unknown=", ".join(unknown),
            known=", ".join(sorted(known)),
        )
    values: dict[str, Any] = {}
    for name, value in raw.items():
        option = known[name]
        try:
            values[name] = (
                option.convert(value) if isinstance(value, str) else _coerce(option, value)
            )
        except (TypeError, ValueError) as err:
            raise ConfigError(
                f"QUORUM_{name.upper()} is invalid ({err}). It should be: {option.help}",
                code="config.setting",
                name=name.upper(),
                reason=err,
                help=option.help,
            ) from err
    declared = {field.name for field in fields(Settings)}
    assert declared == set(known), "OPTIONS and Settings disagree"
    return Settings(**values)


def _coerce(option: Option, value: Any) -> Any:
    """Values from TOML arrive typed already; check them with the same converter."""
    if option.convert in (Path,):
        return Path(str(value))
    if isinstance(value, bool) or option.convert is _bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, got {value!r}")
        return value
    return option.convert(str(value))


PACKAGE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """Jinja templates: ``sidecar/templates`` inside the wheel, else the checkout's ``templates/``."""
    packaged = PACKAGE / "templates"
    return packaged if packaged.is_dir() else PACKAGE.parent / "templates"


def translations_dir() -> Path:
    """The compiled message catalogues (``sidecar/translations``)."""
    return PACKAGE / "translations"
