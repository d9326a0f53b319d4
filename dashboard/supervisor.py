"""Keep a set of processes running: restart one that dies, with backoff, and stop them all together.

Used by ``bin/run`` (``make run``) and by the container's all-in-one role (``docker/entrypoint.py``).
Plain Python, no Django: it starts before settings may be read (the container still runs as root).

A process that exits is started again after 1, 2, 4 ... 30 seconds; the delay starts over once it
has stayed up for ``STABLE_SECONDS``. When running as PID 1 (in a container) it also reaps the
orphans that end up re-parented to it, so no zombie accumulates.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

MAX_BACKOFF = 30.0
STABLE_SECONDS = 60.0
STOP_TIMEOUT = 15.0


@dataclass
class Program:
    name: str
    command: Sequence[str]
    # Called after the first start, e.g. to wait until Redis answers before starting the rest.
    ready: Callable[[], None] | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = 1.0
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    def __init__(
        self, programs: Sequence[Program], *, env: Mapping[str, str], say: Callable[[str], None], cwd: str | None = None
    ) -> None:
        self.programs = list(programs)
        self.env = dict(env)
        self.say = say
        self.cwd = cwd
        self.stopping = False

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def run(self) -> int:
        """Start everything, keep it running until SIGINT/SIGTERM, then stop in reverse order."""
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        for program in self.programs:
            if self.stopping:
                break
            self._start(program)
            if program.ready:
                program.ready()
        while not self.stopping:
            self._reap()
            now = time.monotonic()
            for program in self.programs:
                self._check(program, now)
            time.sleep(0.3)
        self._stop_all()
        return 0

    def _start(self, program: Program) -> None:
        # Own process groups, so a Ctrl-C reaches the supervisor alone and it stops the children in order.
        program.process = subprocess.Popen(program.command, env=self.env, cwd=self.cwd, start_new_session=True)
        program.started_at = time.monotonic()
        program.restart_at = None

    def _check(self, program: Program, now: float) -> None:
        process = program.process
        if process is not None and process.poll() is None:
            if now - program.started_at > STABLE_SECONDS:
                program.backoff = 1.0
            return
        if program.restart_at is None:
            code = process.returncode if process is not None else None
            self.say(f"{program.name} exited with {code}; restarting it in {program.backoff:.0f} s")
            program.restart_at = now + program.backoff
            program.backoff = min(program.backoff * 2, MAX_BACKOFF)
            return
        if now >= program.restart_at:
            program.restarts += 1
            self.say(f"restarting {program.name} (restart {program.restarts})")
            self._start(program)

    def _reap(self) -> None:
        """As PID 1, collect orphaned grandchildren; our own children are left to Popen.poll()."""
        if os.getpid() != 1:
            return
        ours = {p.process.pid for p in self.programs if p.process is not None and p.process.returncode is None}
        try:
            # Only look at zombies that are not ours: waitid with WNOWAIT peeks without reaping.
            while True:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                if info is None or info.si_pid in ours:
                    return
                os.waitpid(info.si_pid, 0)
        except ChildProcessError:
            return

    def _stop_all(self) -> None:
        for program in reversed(self.programs):
            if program.process is not None and program.process.poll() is None:
                program.process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for program in self.programs:
            if program.process is None:
                continue
            try:
                program.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{program.name} did not stop in time; killing it")
                os.killpg(program.process.pid, signal.SIGKILL)
