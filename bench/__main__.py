"""`python -m bench [--smoke]`: start the stack, run the five measurements, print a table, write JSON.

`make bench` runs the issue's sizes; `make bench SIZE=smoke` (or --smoke) every measurement at a tiny
size. Everything it starts (processes, services, the bench sandbox) is stopped or removed at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import measure
from .stack import ROOT, Stack, wait_until

FULL = {"sizes": [10, 100, 300, 1000], "viewer_sizes": [100, 1000], "viewers": 200, "jobs": 50, "events": 20}
SMOKE = {"sizes": [3], "viewer_sizes": [3], "viewers": 3, "jobs": 2, "events": 3}


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="every measurement at a tiny size")
    parser.add_argument("--sizes", help="filler service counts, e.g. 10,100,300,1000")
    parser.add_argument("--viewer-sizes", help="the service counts at which the viewers run, e.g. 100,1000")
    parser.add_argument("--viewers", type=int)
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--events", type=int)
    parser.add_argument("--repeats", type=int, help="renders per page and size (median taken)")
    parser.add_argument("--docker-host", help="an engine to use instead of the bench sandbox (a swarm manager)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="folder of the JSON results")
    parser.add_argument("--keep", action="store_true", help="keep the run's data folder and logs")
    args = parser.parse_args(argv)
    preset = SMOKE if args.smoke else FULL
    args.sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else preset["sizes"]
    viewer_sizes = [int(n) for n in args.viewer_sizes.split(",")] if args.viewer_sizes else preset["viewer_sizes"]
    args.viewer_sizes = [n for n in viewer_sizes if n in args.sizes]
    for name in ("viewers", "jobs", "events"):
        if getattr(args, name) is None:
            setattr(args, name, preset[name])
    args.repeats = args.repeats or (2 if args.smoke else 5)
    return args


def step(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict:
    result: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": {k: v for k, v in vars(args).items() if k not in ("out", "docker_host", "keep")},
    }
    stack = Stack(docker_host=args.docker_host, keep=args.keep)
    try:
        step("starting the stack (engine, Redis, daphne, worker, watcher)")
        stack.start()
        result["machine"] = stack.machine()
        live = stack.create_service("bench-0-live", 1)  # sorts first: on the first page
        wait_until(
            lambda: measure._running_since(stack, {live.id}, {live.id: 0}, 1), 60, "the live service did not run"
        )
        time.sleep(3)  # the worker, watcher and web settle
        result["rss_idle_mib"] = measure.rss(stack)

        step(f"(1) engine event -> websocket -> DOM, {args.events} events")
        result["events"] = measure.event_latency(stack, live, args.events)

        step(f"(4) {args.jobs} scale jobs through the panel, then straight at the engine")
        result["jobs"] = measure.jobs(stack, args.jobs, timeout=120 + 3 * args.jobs)

        result["pages"], result["viewers"] = [], []
        for size in args.sizes:
            step(f"(2) creating filler services up to {size}")
            started, started_at = time.monotonic(), time.time()
            measure.fill(stack, size)
            step(f"    {size} services in {time.monotonic() - started:.0f} s; waiting for the watcher to catch up")
            step(f"    caught up after {measure.settle(stack, since=started_at)} s")
            result["pages"].append(measure.pages(stack, live, size, args.repeats))
            if size in args.viewer_sizes:
                # The services list (its changed rows pushed), then the overview (a hint, re-reads
                # that share one render per change).
                for page in ("services", "overview"):
                    step(f"(3)+(5) {args.viewers} viewers of the {page} page at {size} services")
                    result["viewers"].append(measure.viewers(stack, live, args.viewers, size, 180, page))
                    time.sleep(2)
    finally:
        step("stopping the stack and removing the bench services")
        stack.stop()
    result["failures"] = failures(result)
    return result


def failures(result: dict) -> list:
    found = [{"events": f} for f in result.get("events", {}).get("failures", [])]
    for page in result.get("pages", []):
        found += [{"pages": page["services"], **f} for f in page["failures"]]
    for viewer in result.get("viewers", []):
        if viewer["failed"]:
            keys = ("services", "page", "failed", "errors")
            found.append({"viewers" if key == "services" else key: viewer[key] for key in keys})
    for how in ("panel", "sdk"):
        section = result.get("jobs", {}).get(how, {})
        found += [{"jobs": how, **f} for f in section.get("failures", [])]
        if section.get("lost"):
            found.append({"jobs": how, "lost": section["lost"]})
    return found


def table(result: dict) -> str:
    rows = [("figure", "engine, same run", "Swarmdeck")]
    events = result["events"]
    rows.append(
        (
            "change -> websocket hint, p50 / p95",
            f"event stream p50 {events['engine_event_ms']['p50']} / p95 {events['engine_event_ms']['p95']} ms",
            f"{events['websocket_hint_ms']['p50']} / {events['websocket_hint_ms']['p95']} ms",
        )
    )
    rows.append(("change -> chromium DOM, p50 / p95", "-", f"{events['dom_ms']['p50']} / {events['dom_ms']['p95']} ms"))
    for page in result["pages"]:
        for name, figures in page["pages"].items():
            rows.append(
                (
                    f"{name} at {page['services']} services",
                    f"{page['engine_ms']} ms",
                    f"{figures['median_ms']} ms ({figures['ratio_to_engine']}x), {figures['bytes'] / 1024:.0f} KiB, "
                    f"{figures['docker_calls']} Docker calls, {figures['db_queries']} queries",
                )
            )
    for viewer in result["viewers"]:
        rows.append(
            (
                f"{viewer['viewers']} viewers, {viewer['page']}, {viewer['services']} services: hinted / current",
                f"event {viewer['engine_event_ms']} ms",
                f"{viewer['all_hinted_ms']} ms / {viewer['all_current_ms']} ms ({viewer['current']} current), "
                f"{viewer['failed']} failed ({viewer['connect_failed']} at connect), "
                f"{viewer['fragment_gets']} re-reads",
            )
        )
    jobs = result["jobs"]
    for how in ("panel", "sdk"):
        section = jobs[how]
        request = (
            f"request p95 {section['request_p95_ms']} ms, job queued -> running p95 "
            f"{section['job_queued_to_running_p95_ms']} ms, request -> job running p95 "
            f"{section['request_to_job_running_p95_ms']} ms, "
            if how == "panel"
            else ""
        )
        way = "as jobs through the panel" if how == "panel" else "straight at the engine"
        rows.append(
            (
                f"{jobs['jobs']} scales {way}",
                "-",
                f"{request}to a running task p95 {section['request_to_running_p95_ms']} ms, "
                f"all in {section['all_converged_s']} s, {section['lost']} lost",
            )
        )
    idle = result["rss_idle_mib"]
    peak = {name: max(v["rss_peak_mib"][name] for v in result["viewers"]) for name in idle} if result["viewers"] else {}
    rows.append(
        (
            "RSS web / worker / watcher, idle -> under viewers",
            "-",
            " / ".join(f"{idle[n]:.0f}->{peak.get(n, 0):.0f}" for n in ("web", "worker", "watcher")) + " MiB",
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}{'-smoke' if args.smoke else ''}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    m = result["machine"]
    print(f"\n{m['nproc']} cores, {m['ram_mib']} MiB, Linux {m['kernel']}, engine {m['engine_version']}; {path}")
    if result["failures"]:
        print(f"FAILURES: {json.dumps(result['failures'])}")
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
