"""The bundled demo server: a Nextcloud-like server over real DAV servers, with sample data."""

from sidecar.demo.seed import SeedInfo, seed
from sidecar.demo.server import DEMO_LOGIN, DEMO_USERS, DemoServer, RequestStats, build_app

__all__ = [
    "DEMO_LOGIN",
    "DEMO_USERS",
    "DemoServer",
    "RequestStats",
    "SeedInfo",
    "build_app",
    "seed",
]
