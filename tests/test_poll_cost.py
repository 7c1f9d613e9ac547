"""What a no-change poll costs the database: a fixed, small number of transactions.

A federation polls 10,000 associations every 5 minutes (issue 15): each transaction of a poll is
33 per second. The run used to commit its progress after every collection (6 of a demo poll's
13 transactions), and to read its job again after claiming it.
"""

from __future__ import annotations

from sqlalchemy import event

from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.services import jobs
from sidecar.storage.models import Source, SyncRun
from tests.sync.helpers import connect


def test_a_no_change_poll_commits_six_transactions(
    services: Services, demo_server: DemoServer
) -> None:
    source_id = connect(services, demo_server.url)
    with services.db.session() as session:
        source = session.get_one(Source, source_id)
        job_id = jobs.create_job(session, source.association, source, "poll", every="1h").id
    first = jobs.run_job(services.db, services.vault, job_id, due=False)
    assert first is not None and first.outcome == "ok" and first.counts.added

    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    event.listen(services.db.engine, "commit", count)
    try:
        report = jobs.run_job(services.db, services.vault, job_id, due=False)
    finally:
        event.remove(services.db.engine, "commit", count)
    assert report is not None and report.outcome == "ok" and report.requests == 2
    assert not (report.counts.added or report.counts.changed or report.counts.removed)
    # claim, the run's record, planning (read only), applying, release: and no progress write
    assert len(commits) <= 6, f"{len(commits)} transactions for a poll that changed nothing"
    with services.db.session() as session:
        run = session.get_one(SyncRun, report.run_id)
        assert run.progress_total > 0 and run.progress_done == run.progress_total
