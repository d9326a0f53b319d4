"""Plain-language explanations of Docker Swarm specs and task results, for the service pages.

Pure functions: they read the engine adapter's typed read models (durations in integer nanoseconds,
None where the spec leaves Docker's default) and return translated text. Strings are translated at
call time, so each request gets its own language.
"""

from __future__ import annotations

import shlex

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

import engine
from dashboard.i18n import sentences_join

MS = 1_000_000
SECOND = 1_000 * MS
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Docker's defaults when a key is missing from the spec.
HEALTHCHECK_INTERVAL = 30 * SECOND
HEALTHCHECK_TIMEOUT = 30 * SECOND
HEALTHCHECK_RETRIES = 3
RESTART_DELAY = 5 * SECOND
UPDATE_MONITOR = 5 * SECOND

SIGNAL_NAMES = {
    1: "SIGHUP",
    2: "SIGINT",
    3: "SIGQUIT",
    6: "SIGABRT",
    9: "SIGKILL",
    11: "SIGSEGV",
    13: "SIGPIPE",
    15: "SIGTERM",
}


def duration_words(ns: int | None) -> str:
    """A nanosecond duration as its two largest whole units, e.g. "1 min 30 s"."""
    if ns is None or ns <= 0:
        return _("{n} s").format(n=0)
    if ns < MS:
        return _("less than 1 ms")
    units = [
        (DAY, _("{n} d")),
        (HOUR, _("{n} h")),
        (MINUTE, _("{n} min")),
        (SECOND, _("{n} s")),
        (MS, _("{n} ms")),
    ]
    index = next(i for i, (size, _label) in enumerate(units) if ns >= size)
    size, label = units[index]
    parts = [label.format(n=ns // size)]
    # Only the next smaller unit: "1 h 5 s" would read as more precise than it is.
    if index + 1 < len(units):
        next_size, next_label = units[index + 1]
        if rest := (ns % size) // next_size:
            parts.append(next_label.format(n=rest))
    return sentences_join(parts)


def explain_node_down(task: engine.TaskSnapshot) -> str:
    """A task on a node that is down: Swarm still shows the state that node last reported."""
    if not task.slot:
        return _("Its node is down: this is the last state the node reported. It runs again when the node is back.")
    if task.desired_state == "running":
        return _("Its node is down: this is the last state the node reported. Swarm starts a replacement elsewhere.")
    return _("Its node is down: this is the last state the node reported. Swarm has replaced it.")


def explain_exit(exit_code: int | None, error: str = "") -> str:
    """What a container's exit code means, and where to look next."""
    if exit_code is None:
        return ""
    if exit_code < 0 or exit_code > 255:
        return _("Unusual exit code {code}.").format(code=exit_code)
    if exit_code == 0:
        return _("The command finished successfully.")
    if exit_code == 125:
        return _("The Docker engine itself failed to run the container (for example an invalid option).")
    if exit_code == 126:
        return _("The command was found but could not be run: it is not executable or permission was denied.")
    if exit_code == 127:
        return _("Command not found: check the command and PATH, or whether the binary is missing from the image.")
    if exit_code == 130:
        return _("Interrupted (Ctrl-C, SIGINT).")
    if exit_code == 137:
        # Swarm kills unhealthy containers with SIGKILL and records this error on the task.
        if "unhealthy container" in error.lower():
            return _("Killed with SIGKILL because its health check kept failing.")
        return _(
            "Killed with SIGKILL: usually it ran out of memory, was killed with docker kill, "
            "or did not stop within the stop timeout."
        )
    if exit_code == 139:
        return _("Segmentation fault (SIGSEGV): the program crashed.")
    if exit_code == 143:
        return _("Stopped with SIGTERM: a normal stop, for example during an update or a scale-down.")
    if exit_code > 128:
        signal = exit_code - 128
        if signal in SIGNAL_NAMES:
            return _("Killed by signal {number} ({name}).").format(number=signal, name=SIGNAL_NAMES[signal])
        return _("Killed by signal {number}.").format(number=signal)
    return _("The application exited with an error (code {code}): look at its logs.").format(code=exit_code)


def restart_outlook(
    *,
    condition: str,
    max_attempts: int,
    window_ns: int,
    delay_ns: int,
    failures_in_window: int,
    exit_code: int | None,
) -> str:
    """What Swarm's restart policy will do next for a task of this service that just ended."""
    if condition == "none":
        return _("The restart policy is “none”: Swarm will not restart it.")
    if condition == "on-failure" and exit_code == 0:
        return _("It finished successfully, so Swarm will not restart it (it restarts only on failure).")
    delay = duration_words(delay_ns)
    if max_attempts <= 0:
        return _("Swarm will restart it after {delay}, without limit.").format(delay=delay)
    window = duration_words(window_ns)
    left = max(max_attempts - failures_in_window, 0)
    if left == 0:
        if window_ns > 0:
            text = ngettext(
                "Swarm has used its {max} restart attempt within {window}: it will not restart it.",
                "Swarm has used all {max} restart attempts within {window}: it will not restart it.",
                max_attempts,
            )
        else:
            text = ngettext(
                "Swarm has used its {max} restart attempt: it will not restart it.",
                "Swarm has used all {max} restart attempts: it will not restart it.",
                max_attempts,
            )
        return text.format(max=max_attempts, window=window)
    if window_ns > 0:
        text = ngettext(
            "Swarm will restart it after {delay} ({left} attempt left within {window}).",
            "Swarm will restart it after {delay} ({left} attempts left within {window}).",
            left,
        )
    else:
        text = ngettext(
            "Swarm will restart it after {delay} ({left} attempt left).",
            "Swarm will restart it after {delay} ({left} attempts left).",
            left,
        )
    return text.format(delay=delay, left=left, window=window)


def describe_healthcheck(healthcheck: engine.HealthCheck | None) -> str:
    """A container's health check in words."""
    test = healthcheck.test if healthcheck else ()
    if not test:
        return _("No health check: Swarm only knows whether the process is running.")
    if test[0] == "NONE":
        return _("Health check disabled.")
    # CMD runs its arguments without a shell: quote them so the line reads as one shell command.
    command = " ".join(test[1:]) if test[0] == "CMD-SHELL" else shlex.join(test[1:])
    # Docker treats 0 like a missing value: use the default.
    interval = healthcheck.interval or HEALTHCHECK_INTERVAL
    timeout = healthcheck.timeout or HEALTHCHECK_TIMEOUT
    retries = healthcheck.retries or HEALTHCHECK_RETRIES
    start_period = healthcheck.start_period or 0
    sentences = [
        _("Runs `{command}` every {interval} (timeout {timeout}).").format(
            command=command, interval=duration_words(interval), timeout=duration_words(timeout)
        ),
        ngettext(
            "After {retries} failure the task is marked unhealthy and replaced.",
            "After {retries} failures in a row the task is marked unhealthy and replaced.",
            retries,
        ).format(retries=retries),
    ]
    if start_period:
        sentences.append(
            _("Failures during the first {period} do not count.").format(period=duration_words(start_period))
        )
    return sentences_join(sentences)


def _or(value, default):
    """value, or Docker's default when the spec leaves it out (an explicit 0 stays 0)."""
    return default if value is None else value


def describe_restart_policy(policy: engine.RestartPolicy | None) -> str:
    """A service's restart policy in one sentence."""
    policy = policy or engine.RestartPolicy()
    condition = policy.condition or "any"
    if condition == "none":
        return _("Never restart.")
    delay = duration_words(_or(policy.delay, RESTART_DELAY))
    attempts = _or(policy.max_attempts, 0)
    window = _or(policy.window, 0)
    # One whole sentence per condition and limit: no sentence assembled from a condition's words.
    if condition == "on-failure":
        if attempts <= 0:
            text = _("Restart on failure (non-zero exit), {delay} after the task stops, without limit.")
        elif window > 0:
            text = ngettext(
                "Restart on failure (non-zero exit), {delay} after the task stops, "
                "at most {count} time within {window}.",
                "Restart on failure (non-zero exit), {delay} after the task stops, "
                "at most {count} times within {window}.",
                attempts,
            )
        else:
            text = ngettext(
                "Restart on failure (non-zero exit), {delay} after the task stops, at most {count} time.",
                "Restart on failure (non-zero exit), {delay} after the task stops, at most {count} times.",
                attempts,
            )
    elif attempts <= 0:
        text = _("Always restart, {delay} after the task stops, without limit.")
    elif window > 0:
        text = ngettext(
            "Always restart, {delay} after the task stops, at most {count} time within {window}.",
            "Always restart, {delay} after the task stops, at most {count} times within {window}.",
            attempts,
        )
    else:
        text = ngettext(
            "Always restart, {delay} after the task stops, at most {count} time.",
            "Always restart, {delay} after the task stops, at most {count} times.",
            attempts,
        )
    return text.format(delay=delay, count=attempts, window=duration_words(window))


def describe_update_config(config: engine.RolloutConfig | None, *, rollback: bool = False) -> str:
    """A service's update config (or rollback config with rollback=True) in a few short sentences."""
    config = config or engine.RolloutConfig()
    parallelism = _or(config.parallelism, 1)
    delay = _or(config.delay, 0)
    monitor = _or(config.monitor, UPDATE_MONITOR)
    ratio = _or(config.max_failure_ratio, 0)
    action = config.failure_action or "pause"
    sentences = []
    if parallelism == 0:
        sentences.append(_("Rolls back all tasks at once.") if rollback else _("Updates all tasks at once."))
    elif rollback:
        sentences.append(
            ngettext("Rolls back {count} task at a time.", "Rolls back {count} tasks at a time.", parallelism).format(
                count=parallelism
            )
        )
    else:
        sentences.append(
            ngettext("Updates {count} task at a time.", "Updates {count} tasks at a time.", parallelism).format(
                count=parallelism
            )
        )
    if delay:
        sentences.append(_("Waits {delay} between batches.").format(delay=duration_words(delay)))
    if monitor:
        sentences.append(_("Each new task is watched for {monitor}.").format(monitor=duration_words(monitor)))
    if config.order == "start-first":
        sentences.append(_("Starts the new task before stopping the old one."))
    else:
        sentences.append(_("Stops the old task before starting the new one."))
    # Swarm acts when the share of failed tasks goes above the ratio, so 0% means any failure.
    percent = f"{ratio * 100:g}%"
    if action == "continue":
        sentences.append(
            _("Failed tasks do not stop the rollback.") if rollback else _("Failed tasks do not stop the update.")
        )
    elif action == "rollback" and not rollback:
        sentences.append(
            _("If more than {ratio} of the new tasks fail, Swarm rolls back to the previous spec.").format(
                ratio=percent
            )
        )
    elif rollback:
        # "rollback" is not a valid action for a rollback; Docker rejects it, so pause is what remains.
        sentences.append(
            _("If more than {ratio} of the new tasks fail, the rollback pauses until someone acts.").format(
                ratio=percent
            )
        )
    else:
        sentences.append(
            _("If more than {ratio} of the new tasks fail, the update pauses until someone acts.").format(ratio=percent)
        )
    return sentences_join(sentences)


def config_advice(config: engine.ServiceConfig) -> list[str]:
    """Settings of a service that commonly hurt in production, each with the CLI flag that fixes it."""
    advice = []
    if not config.healthcheck or not config.healthcheck.test or config.healthcheck.disabled:
        advice.append(
            _("There is no health check, so Swarm cannot replace a task that hangs; add one with --health-cmd.")
        )
    if config.restart.condition == "none":
        advice.append(_("Tasks that die stay dead; let Swarm restart them with --restart-condition on-failure."))
    if (config.update.failure_action or "pause") == "pause":
        advice.append(
            _(
                "A failed update stays paused until someone acts; "
                "roll back automatically with --update-failure-action rollback."
            )
        )
    if config.mode == "replicated" and config.replicas == 1 and config.update.order != "start-first":
        advice.append(
            _(
                "With a single replica every update stops the only task before starting the new one, "
                "so the service is down; use --update-order start-first or run more replicas."
            )
        )
    return advice
