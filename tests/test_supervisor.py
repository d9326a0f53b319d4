"""The supervisor shared by make run and the container: a process that dies comes back, with backoff;
each line comes behind its program's name, and the address and activation link come last."""

import io
import logging
import signal
import sys
import threading
import time

import pytest

from dashboard import supervisor
from dashboard.supervisor import Console, Program, Supervisor


def test_a_dead_process_is_restarted_with_backoff_and_the_log_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # not the main thread's handlers
    monkeypatch.setattr(supervisor, "MAX_BACKOFF", 0.5)
    counter = tmp_path / "starts"
    script = f"open({str(counter)!r}, 'a').write('x'); import sys; sys.exit(3)"
    said: list[str] = []
    boss = Supervisor([Program("flaky", [sys.executable, "-c", script])], env={}, say=said.append)
    runner = threading.Thread(target=boss.run)
    runner.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(counter.read_text() if counter.exists() else "") < 3:
        time.sleep(0.1)
    boss.stop()
    runner.join(20)

    assert len(counter.read_text()) >= 3
    assert "flaky exited with 3; restarting it in 1 s" in said
    assert any(line.startswith("restarting flaky (restart 2)") for line in said)


def test_stopping_ends_every_process(monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    program = Program("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    boss = Supervisor([program], env={}, say=lambda line: None)
    runner = threading.Thread(target=boss.run)
    runner.start()
    time.sleep(0.5)
    boss.stop()
    runner.join(20)

    assert program.process.poll() is not None


def _run_until(boss: Supervisor, predicate, timeout: float = 15) -> None:
    runner = threading.Thread(target=boss.run)
    runner.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not predicate():
            time.sleep(0.05)
    finally:
        boss.stop()
        runner.join(20)


def _script(*lines: str, then: str = "") -> list[str]:
    """A program that prints these lines (as a server logs them) and sleeps until stopped."""
    body = "".join(f"print({line!r}, flush=True); " for line in lines)
    return [sys.executable, "-c", f"import time; {body}{then}time.sleep(60)"]


LINK = "Activate Swarmdeck at http://127.0.0.1:8000/activate/?token=abc_DEF-1 (valid until 12:30 UTC)"


def test_each_line_comes_behind_its_program_aligned_and_without_colour_off_a_terminal(monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    out = io.StringIO()
    programs = [Program("web", _script("serving")), Program("watcher", _script("following"))]
    boss = Supervisor(programs, env={}, console=Console(["web", "watcher"], out))

    _run_until(boss, lambda: "serving" in out.getvalue() and "following" in out.getvalue())

    lines = out.getvalue().splitlines()
    assert "web       | serving" in lines
    assert "watcher   | following" in lines
    assert "\033[" not in out.getvalue()


def test_on_a_terminal_the_labels_are_coloured():
    out = io.StringIO()
    console = Console(["web", "worker"], out, colour=True)
    console.line("web", "hello")
    console.line("worker", "hello")

    web, worker = out.getvalue().splitlines()
    assert web.startswith("\033[") and web.endswith("| \033[0m hello") is False
    assert web != worker.replace("worker", "web   ")  # each its own colour
    assert "hello" in web


def test_the_address_and_the_activation_link_come_last_once_everything_is_ready(monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    out = io.StringIO()
    log_line = f"2026-01-01 12:00:00,000 WARNING swarmdeck.activation: {LINK}"
    programs = [
        Program("web", _script(log_line), ready_check=lambda: True),
        Program(
            "worker",
            _script("starting", then="time.sleep(0.5); print('celery@host ready.', flush=True); "),
            ready_line=r"celery@\S+ ready\.",
        ),
    ]
    boss = Supervisor(programs, env={}, console=Console(["web", "worker"], out), address="http://127.0.0.1:8000/")

    _run_until(boss, lambda: "=====" in out.getvalue())

    text = out.getvalue()
    assert text.index("celery@host ready.") < text.index("=====")
    block = text[text.index("=====") :].strip().splitlines()
    assert block[0].startswith("=====") and block[-1].startswith("=====")
    assert block[1:-1] == ["  Swarmdeck is at http://127.0.0.1:8000/ (Ctrl-C stops everything)", f"  {LINK}"]
    assert "web       | " + log_line not in text  # held back for the block


def test_a_fresh_link_comes_in_a_fresh_block(monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    out = io.StringIO()
    fresh = LINK.replace("abc_DEF-1", "second")
    programs = [Program("web", _script(LINK, then=f"time.sleep(1.5); print({fresh!r}, flush=True); "))]
    boss = Supervisor(programs, env={}, console=Console(["web"], out))

    _run_until(boss, lambda: out.getvalue().count("\n=====") >= 4)  # two blocks of two rules

    text = out.getvalue()
    assert text.index(LINK) < text.index(fresh)
    assert text.rstrip().splitlines()[-2] == f"  {fresh}"


def test_a_program_that_never_gets_ready_does_not_hide_the_link(monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    monkeypatch.setattr(supervisor, "READY_TIMEOUT", 1.0)
    out = io.StringIO()
    programs = [
        Program("web", _script(LINK)),
        Program("watcher", _script("cannot reach the engine"), ready_line="following Swarm events"),
    ]
    boss = Supervisor(programs, env={}, console=Console(["web", "watcher"], out))

    _run_until(boss, lambda: "=====" in out.getvalue())

    assert f"  {LINK}" in out.getvalue()
    assert "  Still starting: watcher (see their lines above)." in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_announcers_lines_are_the_ones_the_supervisor_holds_for_its_block(settings, caplog):
    from accounts import announcer

    formatter = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    stop = threading.Event()
    thread = threading.Thread(
        target=announcer.announce_until_activated,
        args=("http://0.0.0.0:8000", stop, 0.05),
        kwargs={"guessed": True},
    )
    with caplog.at_level("WARNING", logger="swarmdeck.activation"):
        thread.start()
        threading.Event().wait(0.2)
        stop.set()
        thread.join()

    lines = [formatter.format(record) for record in caplog.records]
    assert len(lines) == 2
    for line, record in zip(lines, caplog.records, strict=True):
        assert supervisor.ANNOUNCEMENT.search(line)[1] == record.getMessage()


@pytest.mark.parametrize(
    ("level", "message", "shown"),
    [
        (logging.INFO, "Task jobs.celery_tasks.reap_stale_jobs_task[1f] received", False),
        (logging.INFO, "Scheduler: Sending due task reap-stale-jobs (jobs.celery_tasks.reap_stale_jobs_task)", False),
        (logging.INFO, "Task jobs.celery_tasks.reap_stale_jobs_task[1f] succeeded in 0.01s: 0", False),
        (logging.ERROR, "Task jobs.celery_tasks.reap_stale_jobs_task[1f] raised unexpected: OperationalError()", True),
        (logging.INFO, "Task jobs.celery_tasks.run_job_task[2a] received", True),
    ],
)
def test_celerys_lines_about_each_periodic_run_are_routine(level, message, shown):
    from dashboard.logfilters import PeriodicTaskChatter

    record = logging.LogRecord("celery.app.trace", level, __file__, 1, message, None, None)

    assert PeriodicTaskChatter().filter(record) is shown
