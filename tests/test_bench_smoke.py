"""`make bench` at its smoke size, so the bench cannot rot: every section there, nothing failed.

Wall-clock figures are the bench's output, never asserted: only that each was measured.
"""

import json
import subprocess
import sys

import pytest

from .support import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_the_smoke_bench_measures_every_section_without_failures(docker_host, tmp_path):
    # The bench's own stack (Redis, daphne, worker, watcher, database) on the test sandbox's engine.
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--docker-host", docker_host, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = tmp_path.glob("*-smoke.json")
    bench = json.loads(path.read_text())

    assert bench["failures"] == []
    assert set(bench["machine"]) >= {"nproc", "ram_mib", "kernel", "engine_version"}
    for figure in ("engine_event_ms", "websocket_hint_ms", "dom_ms"):
        assert bench["events"][figure]["p95"] is not None, figure
    (pages,) = bench["pages"]
    assert pages["services"] == 3
    assert set(pages["pages"]) == {"services", "fragment", "overview", "detail"}
    assert all(page["median_ms"] is not None and page["bytes"] > 0 for page in pages["pages"].values())
    # Each render's Docker calls and queries are counted; a page lists services with one call each
    # for services, tasks and nodes at most, whatever their number.
    for name, page in pages["pages"].items():
        assert 1 <= page["docker_calls"] <= 4 and page["db_queries"] >= 1, name
    assert [viewers["page"] for viewers in bench["viewers"]] == ["services", "overview"]
    for viewers in bench["viewers"]:
        assert viewers["viewers"] == 3 and viewers["failed"] == 0 and viewers["current"] == 3
        assert viewers["all_hinted_ms"] is not None and viewers["all_current_ms"] is not None
    # The services list is pushed its rows; the overview re-reads.
    assert bench["viewers"][0]["fragment_gets"] == 0
    assert bench["viewers"][1]["fragment_gets"] >= 3
    for how in ("panel", "sdk"):
        assert bench["jobs"][how]["converged"] == 2 and bench["jobs"][how]["lost"] == 0, how
    assert bench["jobs"]["panel"]["job_states"] == {"succeeded": 2}
    assert bench["jobs"]["panel"]["request_to_job_running_p95_ms"] is not None
    assert bench["jobs"]["panel"]["job_queued_to_running_p95_ms"] is not None
    for rss in (bench["rss_idle_mib"], viewers["rss_peak_mib"]):
        assert set(rss) == {"web", "worker", "watcher"} and all(value > 0 for value in rss.values())
    # No bench service outlives the run.
    services = subprocess.run(
        ["docker", "-H", docker_host, "service", "ls", "-q", "--filter", "label=swarmdeck.bench"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert services.stdout.strip() == ""
    assert "| change -> websocket hint" in result.stdout  # the table was printed
