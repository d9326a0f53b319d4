"""The log pages (/logs/services/<id>/, /logs/tasks/<id>/) and their range downloads.

The page is a shell: its lines come over the websocket (logs.consumers). A download streams the
engine's lines (not followed) as text, one line per log line, read in worker threads a chunk at a
time so a long range never sits in memory whole.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

import engine
from history.models import Task
from jobs.messages import error_text

from .ansi import ansi_strip
from .queries import TAIL_DEFAULT, TAIL_MAX, QueryError, tail_parse, time_parse
from .streams import stamp
from .targets import Kind, Names, Target, target_get

logger = logging.getLogger(__name__)

CHUNK_LINES = 1000  # lines read by one worker thread's turn, about the size of a network write
TEXT = "text/plain; charset=utf-8"


@require_GET
def service_page(request: HttpRequest, service_id: str) -> HttpResponse:
    return _page(request, "service", service_id)


@require_GET
def task_page(request: HttpRequest, task_id: str) -> HttpResponse:
    return _page(request, "task", task_id)


@require_GET
def service_download(request: HttpRequest, service_id: str) -> HttpResponse:
    return _download(request, "service", service_id)


@require_GET
def task_download(request: HttpRequest, task_id: str) -> HttpResponse:
    return _download(request, "task", task_id)


def _missing_target(kind: Kind, target_id: str) -> Target:
    """What the page can still say of a target the engine no longer has: a task the watcher recorded
    keeps its service and name; anything else only its id."""
    if kind == "task" and (task := Task.objects.filter(task_id=target_id).first()) is not None:
        return Target("task", task.task_id, task.name, task.service_id, task.service_name)
    return Target(kind, target_id, target_id, target_id if kind == "service" else "", "")


def _page(request: HttpRequest, kind: Kind, target_id: str) -> HttpResponse:
    error = query_error = ""
    try:
        target = target_get(kind=kind, target_id=target_id)
    except engine.EngineError as exc:
        target, error = _missing_target(kind, target_id), error_text(exc).message
    # A value the reader typed wrong falls back to the default, with a word about it, and the page works.
    try:
        tail = tail_parse(request.GET.get("tail"), allow_all=False)
    except QueryError as exc:
        tail, query_error = TAIL_DEFAULT, str(exc)
    since = request.GET.get("since", "").strip()
    try:
        time_parse(since)
    except QueryError as exc:
        since, query_error = "", str(exc)
    context = {
        "target": target.as_context(),
        "ws_url": f"/ws/logs/{kind}s/{target.id}/",
        "download_url": reverse(f"logs:{kind}_download", args=[target.id]),
        "tail": tail,
        "since": since,
        "limits": {"tail_max": TAIL_MAX},
        "error": error,
        "query_error": query_error,
    }
    return render(request, "logs/page.html", context)


def _download(request: HttpRequest, kind: Kind, target_id: str) -> HttpResponse:
    try:
        # A range is downloaded whole unless it says how many lines.
        tail = tail_parse(request.GET.get("tail") or "all", allow_all=True)
        since, until = time_parse(request.GET.get("since")), time_parse(request.GET.get("until"))
        if since is not None and until is not None and until <= since:
            raise QueryError(_('"Until" must be later than "From".'))
    except QueryError as exc:
        return HttpResponseBadRequest(str(exc), content_type=TEXT)
    try:
        target = target_get(kind=kind, target_id=target_id)
        names = Names(target)
        names.refresh()
        open_logs = engine.service_logs if kind == "service" else engine.task_logs
        key = "service_id" if kind == "service" else "task_id"
        reader = open_logs(**{key: target.id}, follow=False, tail=tail, since=since, until=until)
    except engine.EngineError as exc:
        gone = isinstance(exc, (engine.ServiceNotFound, engine.TaskNotFound))
        return HttpResponse(error_text(exc).message, status=404 if gone else 503, content_type=TEXT)
    filename = f"{target.name}-{timezone.now():%Y%m%dT%H%M%SZ}.log"
    response = StreamingHttpResponse(_chunks(reader, names, translation.get_language()), content_type=TEXT)
    response["Content-Disposition"] = f'attachment; filename="{_safe(filename)}"'
    return response


def _safe(filename: str) -> str:
    # Docker names are [a-zA-Z0-9][a-zA-Z0-9_.-]*; anything else would break the header.
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in filename)


async def _chunks(reader: engine.LogReader, names: Names, language: str) -> AsyncIterator[bytes]:
    """The file, read from the engine a chunk at a time in a worker thread (the reader blocks); the
    engine's stream is closed however the download ends, a browser that went away included."""
    lines = reader.lines()
    try:
        while chunk := await asyncio.to_thread(_chunk, lines, names, language):
            yield chunk
    finally:
        reader.close()


def _chunk(lines: Iterator[engine.LogLine], names: Names, language: str) -> bytes:
    out = []
    try:
        for _count, line in zip(range(CHUNK_LINES), lines, strict=False):
            names.see(line.task_id)
            task = names.task(line.task_id) or "-"
            out.append(f"{stamp(line.at) or '-'} {task} {line.stream} {ansi_strip(line.text)}\n")
    except engine.EngineError as exc:
        # The file says it is cut short, rather than look complete.
        logger.warning("log download cut short: %s", exc)
        with translation.override(language):
            out.append(f"# {error_text(exc).message}\n")
    return "".join(out).encode()
