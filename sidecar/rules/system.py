"""Rules about Quorum itself: failing or paused sync jobs, unreadable calendar objects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sidecar.rules.catalogue import RuleSettings
from sidecar.rules.common import condition
from sidecar.rules.types import AlertCondition, SyncHealth, UnreadableObject


def sync_rules(jobs: Iterable[SyncHealth], settings: RuleSettings) -> Iterator[AlertCondition]:
    """A paused job (401 above all) is high; repeated failures are medium."""
    threshold = settings.number("sync_failing", "failures")
    for job in jobs:
        params = {"job": job.job, "source": job.source, "error": job.last_error or ""}
        if job.auth_failed or job.paused_reason:
            yield condition("sync_paused", job.job, params | {"reason": job.paused_reason or ""})
        elif job.failures_in_a_row >= threshold:
            yield condition("sync_failing", job.job, params | {"failures": job.failures_in_a_row})


def unreadable_rules(objects: Iterable[UnreadableObject]) -> Iterator[AlertCondition]:
    for item in objects:
        yield condition(
            "calendar_object_unreadable",
            f"{item.calendar}:{item.href}",
            {"calendar": item.calendar, "href": item.href, "error": item.error},
        )
