"""Every blueprint of the application, listed once.

A blueprint marked ``csrf_exempt`` never authenticates by cookie: the JSON API and the ICS feeds
take a token, AppAPI and Nextcloud webhooks sign their requests. Everything else is a page whose
forms carry a CSRF token.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint

from sidecar.web import (
    admin,
    admin_sources,
    alerts,
    federation,
    feed_page,
    feeds,
    grants,
    grants_edit,
    handovers,
    health,
    jobs,
    meetings,
    metrics,
    minutes_actions,
    overview,
    register,
    roster,
    setup,
    signin,
    webhooks,
)
from sidecar.web import appapi as appapi_views
from sidecar.web.api import alerts as api_alerts
from sidecar.web.api import bodies as api_bodies
from sidecar.web.api import grants as api_grants
from sidecar.web.api import grants_edit as api_grants_edit
from sidecar.web.api import jobs as api_jobs
from sidecar.web.api import meetings as api_meetings
from sidecar.web.api import minutes as api_minutes


class Registration(NamedTuple):
    blueprint: Blueprint
    csrf_exempt: bool = False


BLUEPRINTS: tuple[Registration, ...] = (
    Registration(health.bp),
    Registration(overview.bp),
    Registration(signin.bp),
    Registration(meetings.bp),
    Registration(roster.bp),
    Registration(jobs.bp),
    Registration(grants.bp),
    Registration(grants_edit.bp),
    Registration(feed_page.bp),
    Registration(alerts.bp),
    Registration(metrics.bp),
    Registration(admin.bp),
    Registration(admin_sources.bp),
    Registration(register.bp),
    Registration(minutes_actions.bp),
    Registration(handovers.bp),
    Registration(setup.bp),
    Registration(federation.bp),
    Registration(feeds.bp, csrf_exempt=True),
    Registration(webhooks.bp, csrf_exempt=True),
    Registration(appapi_views.bp, csrf_exempt=True),
    Registration(api_meetings.bp, csrf_exempt=True),
    Registration(api_bodies.bp, csrf_exempt=True),
    Registration(api_jobs.bp, csrf_exempt=True),
    Registration(api_grants.bp, csrf_exempt=True),
    Registration(api_grants_edit.bp, csrf_exempt=True),
    Registration(api_alerts.bp, csrf_exempt=True),
    Registration(api_minutes.bp, csrf_exempt=True),
)
