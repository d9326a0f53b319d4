"""Keep a set of processes running: restart one that dies, with backoff, and stop them all together.

Used by ``bin/run`` (``make run``) and by the container's all-in-one role (``docker/entrypoint.py``).
Plain Python, no Django: it starts before settings may be read (the container still runs as root).

A process that exits is started again after 1, 2, 4 ... 30 seconds; the delay starts over once it
has stayed up for ``STABLE_SECONDS``. When running as PID 1 (in a container) it also reaps the
orphans that end up re-parented to it, so no zombie accumulates.

The console: each program's output comes out line by line behind its name (``worker  | ...``,
aligned, coloured on a terminal). Once every program is ready (its ``ready`` call returned, its
``ready_line`` was printed or its ``ready_check`` answers), a framed block comes last: the panel's
address and, until the panel is activated, the activation link. The web server logs that link
(accounts/announcer.py) at its start and again with each fresh token; the supervisor holds it back
for the block, printed again whenever the link changes or everything is ready again after a restart.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

MAX_BACKOFF = 30.0
STABLE_SECONDS = 60.0
STOP_TIMEOUT = 15.0
# The block comes after this long even if a program is not ready, saying which: the link must show.
READY_TIMEOUT = 90.0
# Everything is ready but no activation link was logged yet: wait this long for one (it comes at once
# when the panel is not activated, never when it is).
LINK_GRACE = 1.0

# What accounts/announcer.py logs; tests/test_supervisor.py checks the two agree.
ANNOUNCEMENT = re.compile(r"(Activate Swarmdeck at \S+/activate/\?token=\S+.*|SWARMDECK_URL is not set: .*)$")
ACTIVATED = re.compile(r"Swarmdeck was activated")
COLOURS = (36, 33, 32, 35, 34, 31)  # cyan, yellow, green, magenta, blue, red: as honcho


@dataclass
class Program:
    name: str
    command: Sequence[str]
    # Called after the first start, e.g. to wait until Redis answers before starting the rest.
    ready: Callable[[], None] | None = None
    # The program is ready once it prints a line matching this (e.g. Celery's "celery@host ready.")...
    ready_line: str | None = None
    # ...or once this answers true (asked about every 0.3 s, e.g. "does the web server answer?").
    ready_check: Callable[[], bool] | None = None
    is_ready: bool = False
    relay: threading.Thread | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = 1.0
    restart_at: float | None = None
    restarts: int = field(default=0)


class Console:
    """Lines behind an aligned label, honcho style; colour only on a terminal."""

    SELF = "swarmdeck"

    def __init__(self, names: Sequence[str], stream: TextIO | None = None, colour: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.width = max(len(name) for name in [*names, self.SELF])
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.colour = isatty() if colour is None else colour
        self.colours = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(names)}
        self.lock = threading.Lock()

    def _paint(self, text: str, code: int | str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def _write(self, text: str) -> None:
        with self.lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):  # a closed terminal must not stop the panel
                pass

    def line(self, name: str, text: str) -> None:
        label = self._paint(f"{name:<{self.width}} |", self.colours.get(name, 1))
        self._write(f"{label} {text}\n")

    def say(self, text: str) -> None:
        self.line(self.SELF, text)

    def block(self, lines: Sequence[str]) -> None:
        """A framed block, alone on its lines and without a label, so nobody misses it."""
        rule = "=" * min(100, max(len(line) for line in lines) + 4)
        body = "\n".join(f"  {self._paint(line, 1)}" for line in lines)
        self._write(f"\n{rule}\n{body}\n{rule}\n\n")


class Supervisor:
    def __init__(
        self,
        programs: Sequence[Program],
        *,
        env: Mapping[str, str],
        say: Callable[[str], None] | None = None,
        cwd: str | None = None,
        console: Console | None = None,
        address: str | None = None,
    ) -> None:
        self.programs = list(programs)
        self.env = dict(env)
        self.console = console or Console([program.name for program in self.programs])
        self.say = say or self.console.say
        self.cwd = cwd
        self.address = address  # the panel's URL, for the block
        self.stopping = False
        self.announcement: list[str] = []  # the activation link's lines, as last logged
        self.banner_due = True  # the block is printed when this is set and everything is ready
        self.started_at = 0.0
        self.all_ready_at: float | None = None
        self.lock = threading.Lock()

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def run(self) -> int:
        """Start everything, keep it running until SIGINT/SIGTERM, then stop in reverse order."""
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        self.started_at = time.monotonic()
        for program in self.programs:
            if self.stopping:
                break
            self._start(program)
            if program.ready:
                program.ready()
                program.is_ready = True
        while not self.stopping:
            self._reap()
            now = time.monotonic()
            for program in self.programs:
                self._check(program, now)
            self._banner(now)
            time.sleep(0.3)
        self._stop_all()
        return 0

    def _start(self, program: Program) -> None:
        # Own process groups, so a Ctrl-C reaches the supervisor alone and it stops the children in order.
        program.process = subprocess.Popen(
            program.command,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        program.started_at = time.monotonic()
        program.restart_at = None
        program.is_ready = program.ready is None and program.ready_line is None and program.ready_check is None
        program.relay = threading.Thread(
            target=self._relay, args=(program, program.process.stdout), name=f"output-{program.name}", daemon=True
        )
        program.relay.start()

    def _relay(self, program: Program, output) -> None:
        """Copy one process's output to the console, line by line, behind its name."""
        ready = re.compile(program.ready_line) if program.ready_line else None
        with output:
            for raw in iter(output.readline, b""):
                line = raw.decode(errors="replace").rstrip()
                announced = ANNOUNCEMENT.search(line)
                if announced:
                    self._announce(announced[1])
                    continue  # shown in the block, after everything is up
                if ACTIVATED.search(line):
                    with self.lock:
                        self.announcement = []
                if ready and not program.is_ready and ready.search(line):
                    program.is_ready = True
                self.console.line(program.name, line)

    def _announce(self, line: str) -> None:
        with self.lock:
            if line.startswith("Activate"):
                self.announcement = [line]  # a fresh token: the old link is dead
            elif line not in self.announcement:
                self.announcement.append(line)
            self.banner_due = True

    def _banner(self, now: float) -> None:
        for program in self.programs:
            if not program.is_ready and program.ready_check and program.process and program.process.poll() is None:
                program.is_ready = bool(program.ready_check())
        waiting = [program.name for program in self.programs if not program.is_ready]
        with self.lock:
            if waiting:
                self.all_ready_at = None
                if not self.banner_due or now - self.started_at < READY_TIMEOUT:
                    return
            else:
                if self.all_ready_at is None:  # at the start, or back after a restart
                    self.all_ready_at = now
                    self.banner_due = True
                if not self.banner_due or (not self.announcement and now - self.all_ready_at < LINK_GRACE):
                    return
            self.banner_due = False
            announcement = list(self.announcement)
        lines = []
        if self.address:
            lines.append(f"Swarmdeck is at {self.address} (Ctrl-C stops everything)")
        lines += announcement
        if waiting:
            lines.append(f"Still starting: {', '.join(waiting)} (see their lines above).")
        elif not lines:
            lines.append("Swarmdeck is up.")
        self.console.block(lines)

    def _check(self, program: Program, now: float) -> None:
        process = program.process
        if process is not None and process.poll() is None:
            if now - program.started_at > STABLE_SECONDS:
                program.backoff = 1.0
            return
        program.is_ready = False
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
            if program.ready:
                program.ready()
                program.is_ready = True

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
        for program in self.programs:
            if program.relay is not None:
                program.relay.join(timeout=1)  # their last lines
