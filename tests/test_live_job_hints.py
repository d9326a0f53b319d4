"""A service's page lists its jobs, so every change of such a job reaches that page's socket."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from dashboard.asgi import application
from jobs.models import Job
from jobs.requests import job_request
from jobs.states import job_finish

from .conftest import ws_headers

pytestmark = pytest.mark.django_db(transaction=True)


def _hints_while(change, headers, path: str) -> list[dict]:
    async def run():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        await sync_to_async(change)()
        hints = []
        while not await communicator.receive_nothing(timeout=0.3):
            hints.append(await communicator.receive_json_from())
        await communicator.disconnect()
        return hints

    return async_to_sync(run)()


def test_a_new_job_reaches_the_jobs_list_and_its_services_page(memory_channel_layer, panel_client, no_enqueue):
    created = []

    def request():
        created.append(job_request(kind=Job.Kind.SCALE, service_id="svc1", service_name="web"))

    service_hints = _hints_while(request, ws_headers(panel_client), "/ws/services/svc1/")
    jobs_hints = _hints_while(request, ws_headers(panel_client), "/ws/jobs/")

    assert _without_versions(service_hints) == [{"kind": "service", "id": "svc1", "action": "job"}]
    assert _without_versions(jobs_hints) == [{"kind": "job", "id": created[1].id, "state": "queued"}]


def _without_versions(hints: list[dict]) -> list[dict]:
    """The hints as the page reads them; each carries its change's version (live.rereads)."""
    assert all(hint["version"] > 0 for hint in hints)
    return [{key: value for key, value in hint.items() if key != "version"} for hint in hints]


def test_the_end_of_a_job_reaches_its_services_page(memory_channel_layer, panel_client):
    job = Job.objects.create(kind=Job.Kind.SCALE, service_id="svc1", service_name="web", state=Job.State.RUNNING)

    hints = _hints_while(
        lambda: job_finish(job.id, Job.State.SUCCEEDED), ws_headers(panel_client), "/ws/services/svc1/"
    )

    assert _without_versions(hints) == [{"kind": "service", "id": "svc1", "action": "job"}]


def test_other_services_pages_and_the_services_list_hear_nothing(memory_channel_layer, panel_client):
    job = Job.objects.create(kind=Job.Kind.SCALE, service_id="svc1", service_name="web", state=Job.State.RUNNING)

    for path in ("/ws/services/svc2/", "/ws/services/"):
        hints = _hints_while(lambda: job_finish(job.id, Job.State.FAILED), ws_headers(panel_client), path)
        assert hints == []
        Job.objects.filter(id=job.id).update(state=Job.State.RUNNING, finished_at=None)
