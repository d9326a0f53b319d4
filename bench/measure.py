"""The five measurements of issue 11, each against a started bench.stack.Stack.

Times are wall-clock (time.time()) in this process, the browser's Date.now() and nothing else, all on
one machine: the start of a call straight at the engine (through the panel's adapter, engine/, the
one place that talks to Docker) is the zero of every figure that follows it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import re
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import engine
from tests.support import CHROMIUM_ARGS, poll

from .stack import LABEL, Stack
from .wsclient import Closed, WebSocket, http_get


def pct(values: list[float], p: float) -> float | None:
    """The p-th percentile (nearest rank), in the values' unit; None when nothing was measured."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def desired_in(html: str, service_id: str) -> int | None:
    """The desired replicas the services list shows for one service (running/desired)."""
    match = re.search(rf'data-service-id="{service_id}".*?class="replicas[^"]*">\s*\d+/(\d+)', html, re.S)
    return int(match.group(1)) if match else None


def scale(service: engine.ServiceSummary, replicas: int) -> float:
    """Scale straight at the engine (the panel's adapter, no job); returns the time just before the
    call, which reads the service's current version, then updates it."""
    started = time.time()
    engine.service_scale(service_id=service.id, replicas=replicas)
    return started


# --- listeners --------------------------------------------------------------------------------


class EngineEvents:
    """The engine's event stream, its service events timestamped on arrival."""

    def __init__(self, stack: Stack) -> None:
        self.seen: list[tuple[float, str]] = []
        self.stream = engine.event_stream(since=time.time())
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with contextlib.suppress(Exception):
            for event in self.stream:
                if event.type == "service":
                    self.seen.append((time.time(), event.actor_id))

    def first_after(self, since: float, service_id: str) -> float | None:
        return next((at for at, sid in list(self.seen) if at >= since and sid == service_id), None)

    def close(self) -> None:
        self.stream.close()


class Viewer:
    """One websocket of the services page, in an event loop of its own thread; messages timestamped."""

    def __init__(self, stack: Stack, path: str = "/ws/services/") -> None:
        self.stack, self.path = stack, path
        self.seen: list[tuple[float, str]] = []
        self.error: str | None = None
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._run(),), daemon=True)
        self.thread.start()
        if not self.ready.wait(30) or self.error:
            raise RuntimeError(f"websocket did not connect: {self.error}")

    async def _run(self) -> None:
        self.task = asyncio.current_task()
        try:
            socket = await WebSocket.connect("127.0.0.1", self.stack.port, self.path, ws_headers(self.stack))
        except Exception as exc:  # noqa: BLE001 - reported, not raised, from this thread
            self.error = repr(exc)
            self.ready.set()
            return
        self.ready.set()
        try:
            while True:
                self.seen.append((time.time(), await socket.receive()))
        except (Closed, asyncio.IncompleteReadError, ConnectionError) as exc:
            self.error = repr(exc)
        except asyncio.CancelledError:
            pass  # closed by close()
        finally:
            await socket.close()

    def first_after(self, since: float, service_id: str) -> float | None:
        return next((at for at, text in list(self.seen) if at >= since and service_id in text), None)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)


def settle(stack: Stack, since: float, quiet: float = 1.0, timeout: float = 300) -> float:
    """Wait until the watcher has caught up with what the bench did since ``since`` (the filler
    services' events): it has handled the engine's latest event, and pushed nothing to the services
    list for ``quiet`` seconds since. Returns the seconds it took."""
    viewer, began = Viewer(stack), time.time()
    stream = engine.event_stream(since=since, until=time.time())
    latest = max((event.time_ns for event in stream), default=0)

    def handled() -> int:
        return stack.query("SELECT MAX(last_event_ns) FROM services_watcher")[0][0] or 0

    try:
        while time.time() - began < timeout:
            last = viewer.seen[-1][0] if viewer.seen else began
            if handled() >= latest and time.time() - last >= quiet:
                return round(time.time() - began, 1)
            time.sleep(0.2)
        raise RuntimeError(f"the watcher had not caught up after {timeout} s")
    finally:
        viewer.close()


def ws_headers(stack: Stack) -> dict[str, str]:
    return {"Origin": stack.url, "Cookie": stack.cookie_header()}


# --- (1) engine event -> websocket hint -> DOM --------------------------------------------------


OBSERVE = """([id, want]) => {
    window.__seen = 0;
    const check = () => {
        const cell = document.querySelector(`tr[data-service-id="${id}"] td.replicas`);
        if (cell && cell.textContent.trim().endsWith("/" + want)) { window.__seen = Date.now(); observer.disconnect(); }
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def event_latency(stack: Stack, live, events: int) -> dict:
    from playwright.sync_api import sync_playwright

    engine_events, viewer = EngineEvents(stack), Viewer(stack)
    samples, failures = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = browser.new_context()
            context.add_cookies([{"name": n, "value": v, "url": stack.url} for n, v in stack.session.cookies.items()])
            page = context.new_page()
            page.goto(f"{stack.url}/services/")
            page.wait_for_selector("#services[data-live-state=connected]", timeout=30_000)
            time.sleep(1)
            for n in range(events):
                want = 2 if n % 2 == 0 else 1
                page.evaluate(OBSERVE, [live.id, want])
                started = scale(live, want)
                at_engine = poll(lambda s=started: engine_events.first_after(s, live.id), 10, interval=0.01)
                at_ws = poll(lambda s=started: viewer.first_after(s, live.id), 10, interval=0.01)
                try:
                    page.wait_for_function("window.__seen > 0", timeout=20_000)
                    at_dom = page.evaluate("window.__seen") / 1000
                except Exception:  # noqa: BLE001 - a timeout is a failure of this sample
                    at_dom = None
                if None in (at_engine, at_ws, at_dom):
                    failures.append({"event": n, "engine": bool(at_engine), "ws": bool(at_ws), "dom": bool(at_dom)})
                else:
                    samples.append((at_engine - started, at_ws - started, at_dom - started))
                time.sleep(1.5)  # past the watcher's coalescing window: one event per sample
            browser.close()
    finally:
        viewer.close()
        engine_events.close()
    columns = list(zip(*samples, strict=True)) if samples else [[], [], []]
    return {
        "events": events,
        "engine_event_ms": {"p50": ms(pct(columns[0], 50)), "p95": ms(pct(columns[0], 95))},
        "websocket_hint_ms": {"p50": ms(pct(columns[1], 50)), "p95": ms(pct(columns[1], 95))},
        "dom_ms": {"p50": ms(pct(columns[2], 50)), "p95": ms(pct(columns[2], 95))},
        "note": "zero = just before engine.service_scale (an inspect, then the update)",
        "failures": failures,
    }


# --- (2) pages at N services, against the raw engine calls --------------------------------------


def fill(stack: Stack, total: int) -> None:
    """Bring the 0-replica filler services up to total."""
    have = len(engine.services_labelled(label=f"{LABEL}=filler"))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: stack.create_service(f"bench-fill-{n:04d}", 0, kind="filler"), range(have, total)))


def pages(stack: Stack, live, size: int, repeats: int) -> dict:
    timings: dict[str, list[float]] = {"engine": [], "services": [], "fragment": [], "overview": [], "detail": []}
    weight: dict[str, int] = {}
    failures = []
    urls = {
        "services": ("/services/", {}),
        "fragment": ("/services/", {"HX-Request": "true"}),
        "overview": ("/", {}),
        "detail": (f"/services/{live.id}/", {}),
    }
    for _ in range(repeats):
        started = time.perf_counter()
        engine.service_list()
        engine.task_list()
        engine.node_list()
        timings["engine"].append(time.perf_counter() - started)
        for name, (path, headers) in urls.items():
            started = time.perf_counter()
            response = stack.session.get(stack.url + path, headers=headers, timeout=120, allow_redirects=False)
            timings[name].append(time.perf_counter() - started)
            weight[name] = len(response.content)
            if response.status_code != 200:
                failures.append({"page": name, "status": response.status_code})
    median = {name: statistics.median(values) for name, values in timings.items()}
    counts = stack.counts(urls)
    for name, figures in counts.items():
        if figures["status"] != 200:
            failures.append({"page": name, "counted_status": figures["status"]})
    return {
        "services": size,
        "repeats": repeats,
        "engine_ms": ms(median["engine"]),
        "pages": {
            name: {
                "median_ms": ms(median[name]),
                "ratio_to_engine": round(median[name] / median["engine"], 1),
                "bytes": weight[name],
                # Counted in a Django process of the stack (bench/counts.py), one render each.
                "docker_calls": counts[name]["docker_calls"],
                "db_queries": counts[name]["db_queries"],
            }
            for name in urls
        },
        "failures": failures,
    }


# --- (3) V viewers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Watched:
    """What the viewers watch: a page's socket, the fragment it re-reads, and when it shows the change."""

    page: str  # "services" or "overview"
    socket: str
    url: str
    live_id: str
    want: int  # the live service's desired replicas (services), the swarm's desired tasks (overview)

    def current(self, html: str) -> bool:
        if self.page == "services":
            return desired_in(html, self.live_id) == self.want
        return tasks_desired_in(html) == self.want

    def names_change(self, message: dict) -> bool:
        """Whether a hint is one this page re-reads on: its service, or the whole swarm ("")."""
        return message.get("id") in (self.live_id, "")


def tasks_desired_in(html: str) -> int | None:
    """The swarm's desired tasks on the overview's tile (running/desired)."""
    match = re.search(r'id="tasks-tile">.*?<strong>\s*\d+/(\d+)', html, re.S)
    return int(match.group(1)) if match else None


async def _viewer(stack: Stack, watched: Watched, gate: asyncio.Semaphore, go: asyncio.Event, started, timeout):
    result = {"hinted": None, "current": None, "gets": 0, "error": None}
    try:
        async with gate:  # a few handshakes at a time, as people open the page, not in one burst
            socket = await WebSocket.connect("127.0.0.1", stack.port, watched.socket, ws_headers(stack))
    except Exception as exc:  # noqa: BLE001
        result["error"] = f"connect: {exc!r}"
        return result
    try:
        await go.wait()
        async with asyncio.timeout(timeout):
            while result["current"] is None:
                text = await socket.receive()
                if time.time() < started[0]:
                    continue
                message = json.loads(text)
                if "content" in message:  # rows pushed, rendered once for every viewer: the page swaps them
                    if watched.live_id not in message["content"]:
                        continue
                    result["hinted"] = result["hinted"] or time.time()
                    if watched.current(message["content"]):
                        result["current"] = time.time()
                    continue
                if not watched.names_change(message):
                    continue
                result["hinted"] = result["hinted"] or time.time()
                # As static/js/live.js does: the re-read names the change, so viewers share one render.
                headers = {"Cookie": stack.cookie_header(), "HX-Request": "true"}
                headers["X-Live-Version"] = str(message.get("version", ""))
                status, body = await http_get("127.0.0.1", stack.port, watched.url, headers)
                result["gets"] += 1
                if status != 200:
                    result["error"] = f"GET {status}"
                    break
                if watched.current(body):
                    result["current"] = time.time()
    except TimeoutError:
        result["error"] = "timeout"
    except (Closed, asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
        result["error"] = repr(exc)
    finally:
        await socket.close()
    return result


async def _viewers(stack: Stack, live, count: int, watched: Watched, to: int, timeout: float, engine_events) -> dict:
    go, started = asyncio.Event(), [float("inf")]
    gate = asyncio.Semaphore(5)
    tasks = [asyncio.create_task(_viewer(stack, watched, gate, go, started, timeout)) for _ in range(count)]
    await asyncio.sleep(2 + count / 50)  # every socket connected and joined
    started[0] = await asyncio.to_thread(scale, live, to)
    go.set()
    results = await asyncio.gather(*tasks)
    at_engine = engine_events.first_after(started[0], live.id)
    hinted = [r["hinted"] - started[0] for r in results if r["hinted"]]
    current = [r["current"] - started[0] for r in results if r["current"]]
    errors = [r["error"] for r in results if r["error"]]
    connect_failed = sum(1 for error in errors if error.startswith("connect"))
    return {
        "page": watched.page,
        "viewers": count,
        "engine_event_ms": ms(at_engine - started[0]) if at_engine else None,
        # Over the viewers that got there (hinted, current): a failed viewer is counted in failed.
        "all_hinted_ms": ms(max(hinted)) if hinted else None,
        "all_current_ms": ms(max(current)) if current else None,
        "hinted": len(hinted),
        "current": len(current),
        "current_p50_ms": ms(pct(current, 50)),
        "current_p95_ms": ms(pct(current, 95)),
        "fragment_gets": sum(r["gets"] for r in results),
        "failed": count - len(current),
        "connect_failed": connect_failed,
        "errors": sorted(set(errors))[:10],
    }


def viewers(stack: Stack, live, count: int, size: int, timeout: float, page: str = "services") -> dict:
    """V viewers of the services list (rows pushed) or of the overview (hints, shared re-reads)."""
    engine_events = EngineEvents(stack)
    current = engine.service_get(service_id=live.id).replicas
    want = current % 2 + 1  # 1 <-> 2
    if page == "services":
        watched = Watched(page, "/ws/services/", "/services/", live.id, want)
    else:
        desired = sum(service.tasks_desired for service in engine.service_list())
        watched = Watched(page, "/ws/swarm/", "/", live.id, desired - current + want)
    sampler = RssSampler(stack)
    try:
        result = asyncio.run(_viewers(stack, live, count, watched, want, timeout, engine_events))
    finally:
        sampler.stop()
        engine_events.close()
    result["services"] = size
    result["rss_peak_mib"] = sampler.peak
    return result


# --- (4) J scale jobs, panel against the engine directly-------------------------------------------------------


def _running_since(stack: Stack, ids: set[str], started: dict[str, float], timeout: float) -> dict[str, float]:
    """When each service first had a running task, polled every 100 ms."""
    running: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(running) < len(ids) and time.monotonic() < deadline:
        now = time.time()
        for task in engine.task_list(desired_running=True):
            if task.service_id in ids and task.service_id not in running and task.state == "running":
                running[task.service_id] = now
        time.sleep(0.1)
    return {sid: at - started[sid] for sid, at in running.items()}


def _containers_gone(stack: Stack, keep: int) -> None:
    poll(lambda: engine.containers_running() <= keep, 120, interval=0.5)


def jobs(stack: Stack, count: int, timeout: float) -> dict:
    keep = engine.containers_running()
    result: dict = {"jobs": count}
    for how in ("panel", "sdk"):
        services = [stack.create_service(f"bench-{how}-{n:03d}", 0, kind=how) for n in range(count)]
        time.sleep(2)  # the watcher has recorded their creation
        started, requests_s, failures = {}, [], []
        first = time.time()
        for service in services:
            if how == "sdk":
                started[service.id] = scale(service, 1)
                continue
            started[service.id] = time.time()
            response = stack.session.post(
                f"{stack.url}/services/{service.id}/scale/",
                data={"replicas": "1", "csrfmiddlewaretoken": stack.session.cookies["csrftoken"]},
                headers={"X-CSRFToken": stack.session.cookies["csrftoken"]},
                timeout=60,
                allow_redirects=False,
            )
            requests_s.append(time.time() - started[service.id])
            if response.status_code != 302 or "/jobs/" not in response.headers.get("Location", ""):
                failures.append({"service": service.name, "status": response.status_code})
        running = _running_since(stack, set(started), started, timeout)
        last = max((started[sid] + delay for sid, delay in running.items()), default=None)
        section = {
            "request_p95_ms": ms(pct(requests_s, 95)) if requests_s else None,
            "request_to_running_p50_ms": ms(pct(list(running.values()), 50)),
            "request_to_running_p95_ms": ms(pct(list(running.values()), 95)),
            "all_converged_s": round(last - first, 2) if last and len(running) == count else None,
            "converged": len(running),
            "lost": count - len(running),
            "failures": failures,
        }
        if how == "panel":
            section["job_states"] = _job_states(stack, timeout)
            # The job's own "running": the worker claimed it (its started_at), from the request.
            times = _job_times(stack)
            claimed = {name: at for name, (_queued, at) in times.items() if at}
            to_job_running = [claimed[s.name] - started[s.id] for s in services if s.name in claimed]
            section["request_to_job_running_p50_ms"] = ms(pct(to_job_running, 50))
            section["request_to_job_running_p95_ms"] = ms(pct(to_job_running, 95))
            # From the job's own record: queued (the row the request wrote) -> running (claimed).
            queued_to_running = [at - queued for queued, at in times.values() if at]
            section["job_queued_to_running_p50_ms"] = ms(pct(queued_to_running, 50))
            section["job_queued_to_running_p95_ms"] = ms(pct(queued_to_running, 95))
            finished = section["job_states"].get("succeeded", 0)
            if finished != count:
                section["failures"].append({"jobs_succeeded": finished})
        result[how] = section
        for service in services:
            engine.service_remove(service_id=service.id)
        _containers_gone(stack, keep)
    return result


def _job_times(stack: Stack) -> dict[str, tuple[float, float | None]]:
    """Each scale job's (created_at, started_at) as Unix times, by service name: when the request
    wrote it (queued) and when the worker claimed it (running)."""
    rows = stack.query("SELECT service_name, created_at, started_at FROM services_job WHERE kind = 'scale'")

    def unix(value: str) -> float:
        return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()

    return {name: (unix(created), unix(started) if started else None) for name, created, started in rows}


def _job_states(stack: Stack, timeout: float) -> dict[str, int]:
    """The panel's own record: every job finished (read straight from its SQLite file)."""

    def states():
        return dict(stack.query("SELECT state, COUNT(*) FROM services_job WHERE kind = 'scale' GROUP BY state"))

    poll(lambda: set(states()) <= {"succeeded", "failed", "rolled_back", "paused"}, timeout, interval=0.5)
    return states()


# --- (5) RSS ------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in path.read_text().split()]
    return found


def rss_mib(pid: int) -> float:
    """VmRSS of a process and all its descendants (the worker's pool and beat), in MiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{current}/status").read_text()
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            total += int(match.group(1)) if match else 0
            todo += _children(current)
    return round(total / 1024, 1)


def rss(stack: Stack) -> dict[str, float]:
    return {name: rss_mib(pid) for name, pid in stack.pids().items()}


class RssSampler:
    """The peak RSS of each process, sampled every 200 ms while a measurement runs."""

    def __init__(self, stack: Stack) -> None:
        self.stack, self.peak = stack, rss(stack)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(0.2):
            for name, value in rss(self.stack).items():
                self.peak[name] = max(self.peak[name], value)

    def stop(self) -> None:
        self.done.set()
        self.thread.join(5)
