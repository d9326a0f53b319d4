"""The supervisor shared by make run and the container: a process that dies comes back, with backoff."""

import signal
import sys
import threading
import time

from dashboard import supervisor
from dashboard.supervisor import Program, Supervisor


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
