"""Plain-language explanations of Swarm specs and task results: every branch, in English and under Spanish.

The cases are written as the engine's JSON and read through the engine adapter's typed models, as
the pages get them: so a key the adapter misreads fails here too.
"""

import pytest
from django.utils import translation

import engine
from services import explain
from services.explain import duration_words, explain_exit, restart_outlook
from services.masking import mask_env


def describe_healthcheck(raw):
    return explain.describe_healthcheck(engine.HealthCheck.from_json(raw))


def describe_restart_policy(raw):
    return explain.describe_restart_policy(engine.RestartPolicy.from_json(raw))


def describe_update_config(raw, *, rollback=False):
    return explain.describe_update_config(engine.RolloutConfig.from_json(raw), rollback=rollback)


def config_advice(spec):
    return explain.config_advice(engine.ServiceConfig.from_json(spec))


MS = 1_000_000
S = 1_000 * MS
MIN = 60 * S
H = 60 * MIN


def assert_clean(text: str) -> None:
    """Non-empty, and no unfilled placeholder leaked from a translation."""
    assert text
    assert "{" not in text and "}" not in text


# duration_words


@pytest.mark.parametrize(
    ("ns", "expected"),
    [
        (None, "0 s"),
        (0, "0 s"),
        (-5, "0 s"),
        (500, "less than 1 ms"),
        (500 * MS, "500 ms"),
        (1500 * MS, "1 s 500 ms"),
        (5 * S, "5 s"),
        (90 * S, "1 min 30 s"),
        (2 * MIN, "2 min"),
        (2 * H + 5 * MIN, "2 h 5 min"),
        (2 * H + 5 * MIN + 30 * S, "2 h 5 min"),
        (H + 5 * S, "1 h"),
        (3 * 24 * H + 4 * H, "3 d 4 h"),
    ],
)
def test_format_duration_ns(ns, expected):
    assert duration_words(ns) == expected


# explain_exit


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (0, "finished successfully"),
        (125, "Docker engine itself failed"),
        (126, "could not be run"),
        (127, "Command not found"),
        (130, "Interrupted (Ctrl-C, SIGINT)"),
        (139, "Segmentation fault (SIGSEGV)"),
        (143, "SIGTERM: a normal stop"),
        (129, "signal 1 (SIGHUP)"),
        (131, "signal 3 (SIGQUIT)"),
        (134, "signal 6 (SIGABRT)"),
        (141, "signal 13 (SIGPIPE)"),
        (140, "Killed by signal 12."),
        (1, "exited with an error (code 1): look at its logs"),
        (124, "(code 124)"),
        (128, "(code 128)"),
        (256, "Unusual exit code 256."),
        (-1, "Unusual exit code -1."),
    ],
)
def test_explain_exit(code, expected):
    text = explain_exit(code)
    assert expected in text
    assert_clean(text)


def test_explain_exit_137_plain_kill_mentions_usual_reasons():
    text = explain_exit(137, "task: non-zero exit (137)")
    assert "SIGKILL" in text
    assert "out of memory" in text
    assert "docker kill" in text
    assert "stop timeout" in text
    assert "health check" not in text


def test_explain_exit_137_unhealthy_blames_the_health_check():
    text = explain_exit(137, "task: non-zero exit (137): dockerexec: unhealthy container")
    assert "SIGKILL" in text
    assert "health check kept failing" in text
    assert "out of memory" not in text


def test_explain_exit_without_code_is_empty():
    assert explain_exit(None) == ""
    assert explain_exit(None, "dockerexec: unhealthy container") == ""


# restart_outlook


def _outlook(**overrides):
    values = {
        "condition": "any",
        "max_attempts": 0,
        "window_ns": 0,
        "delay_ns": 5 * S,
        "failures_in_window": 0,
        "exit_code": 1,
    }
    return restart_outlook(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"condition": "none"}, "will not restart it"),
        ({"condition": "none", "exit_code": 0}, "will not restart it"),
        ({"condition": "on-failure", "exit_code": 0}, "finished successfully, so Swarm will not restart it"),
        ({"condition": "on-failure", "exit_code": 1}, "restart it after 5 s, without limit"),
        ({"condition": "on-failure", "exit_code": None}, "restart it after 5 s"),
        ({"condition": "any", "exit_code": 0}, "restart it after 5 s, without limit"),
        ({"condition": "", "exit_code": 0, "delay_ns": 90 * S}, "restart it after 1 min 30 s"),
        ({"max_attempts": 3, "failures_in_window": 1}, "restart it after 5 s (2 attempts left)."),
        ({"max_attempts": 3, "failures_in_window": 2}, "(1 attempt left)."),
        (
            {"max_attempts": 3, "failures_in_window": 1, "window_ns": 2 * MIN},
            "(2 attempts left within 2 min).",
        ),
        ({"max_attempts": 3, "failures_in_window": 3}, "used all 3 restart attempts: it will not restart it."),
        ({"max_attempts": 3, "failures_in_window": 7}, "used all 3 restart attempts: it will not restart it."),
        (
            {"max_attempts": 3, "failures_in_window": 3, "window_ns": 2 * MIN},
            "used all 3 restart attempts within 2 min: it will not restart it.",
        ),
        ({"max_attempts": 1, "failures_in_window": 1}, "used its 1 restart attempt: it will not restart it."),
    ],
)
def test_restart_outlook(overrides, expected):
    text = _outlook(**overrides)
    assert expected in text
    assert_clean(text)


# describe_healthcheck


@pytest.mark.parametrize("healthcheck", [None, {}, {"Test": []}, {"Interval": 10 * S}])
def test_describe_healthcheck_missing(healthcheck):
    assert describe_healthcheck(healthcheck) == "No health check: Swarm only knows whether the process is running."


def test_describe_healthcheck_disabled():
    assert describe_healthcheck({"Test": ["NONE"]}) == "Health check disabled."


def test_describe_healthcheck_cmd_shell_with_all_settings():
    text = describe_healthcheck(
        {
            "Test": ["CMD-SHELL", "wget -q -O /dev/null http://localhost/ || exit 1"],
            "Interval": 30 * S,
            "Timeout": 30 * S,
            "Retries": 3,
            "StartPeriod": 10 * S,
        }
    )
    assert text == (
        "Runs `wget -q -O /dev/null http://localhost/ || exit 1` every 30 s (timeout 30 s). "
        "After 3 failures in a row the task is marked unhealthy and replaced. "
        "Failures during the first 10 s do not count."
    )


def test_describe_healthcheck_cmd_quotes_arguments_and_uses_defaults():
    text = describe_healthcheck({"Test": ["CMD", "curl", "-f", "http://localhost/a b"]})
    assert "Runs `curl -f 'http://localhost/a b'` every 30 s (timeout 30 s)." in text
    assert "After 3 failures in a row" in text
    assert "first" not in text
    assert_clean(text)


def test_describe_healthcheck_zero_values_mean_docker_defaults():
    text = describe_healthcheck({"Test": ["CMD", "true"], "Interval": 0, "Timeout": 0, "Retries": 0, "StartPeriod": 0})
    assert "every 30 s (timeout 30 s)" in text
    assert "After 3 failures" in text
    assert "first" not in text


def test_describe_healthcheck_custom_values_and_singular_retry():
    text = describe_healthcheck({"Test": ["CMD", "true"], "Interval": 5 * S, "Timeout": 2 * S, "Retries": 1})
    assert "every 5 s (timeout 2 s)" in text
    assert "After 1 failure the task is marked unhealthy" in text


# describe_restart_policy


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (None, "Always restart, 5 s after the task stops, without limit."),
        ({}, "Always restart, 5 s after the task stops, without limit."),
        ({"Condition": "none", "MaxAttempts": 3}, "Never restart."),
        (
            {"Condition": "on-failure", "Delay": 5 * S, "MaxAttempts": 3, "Window": 2 * MIN},
            "Restart on failure (non-zero exit), 5 s after the task stops, at most 3 times within 2 min.",
        ),
        (
            {"Condition": "on-failure", "MaxAttempts": 1},
            "Restart on failure (non-zero exit), 5 s after the task stops, at most 1 time.",
        ),
        (
            {"Condition": "any", "Delay": 0, "MaxAttempts": 0, "Window": 0},
            "Always restart, 0 s after the task stops, without limit.",
        ),
        (
            {"Condition": "any", "Delay": 10 * S, "MaxAttempts": 5},
            "Always restart, 10 s after the task stops, at most 5 times.",
        ),
    ],
)
def test_describe_restart_policy(policy, expected):
    assert describe_restart_policy(policy) == expected


# describe_update_config


def test_describe_update_config_defaults():
    assert describe_update_config(None) == (
        "Updates 1 task at a time. Each new task is watched for 5 s. "
        "Stops the old task before starting the new one. "
        "If more than 0% of the new tasks fail, the update pauses until someone acts."
    )
    assert describe_update_config({}) == describe_update_config(None)


def test_describe_update_config_full():
    text = describe_update_config(
        {
            "Parallelism": 2,
            "Delay": 10 * S,
            "FailureAction": "rollback",
            "Monitor": 30 * S,
            "MaxFailureRatio": 0.25,
            "Order": "start-first",
        }
    )
    assert text == (
        "Updates 2 tasks at a time. Waits 10 s between batches. Each new task is watched for 30 s. "
        "Starts the new task before stopping the old one. "
        "If more than 25% of the new tasks fail, Swarm rolls back to the previous spec."
    )


@pytest.mark.parametrize(
    ("config", "rollback", "expected", "absent"),
    [
        ({"Parallelism": 0}, False, "Updates all tasks at once.", "at a time"),
        ({"Parallelism": 0}, True, "Rolls back all tasks at once.", "Updates"),
        ({"Parallelism": 3}, True, "Rolls back 3 tasks at a time.", "Updates"),
        ({"Parallelism": 1}, True, "Rolls back 1 task at a time.", "Updates"),
        # The engine reads a Monitor of 0 as "not set": Swarm's 5 s apply.
        ({"Monitor": 0}, False, "Each new task is watched for 5 s.", "between batches"),
        ({"Delay": 0}, False, "Updates 1 task at a time.", "between batches"),
        ({"FailureAction": "continue"}, False, "Failed tasks do not stop the update.", "pauses"),
        ({"FailureAction": "continue"}, True, "Failed tasks do not stop the rollback.", "pauses"),
        ({"FailureAction": "pause"}, True, "the rollback pauses until someone acts.", "previous spec"),
        ({"FailureAction": "rollback"}, True, "the rollback pauses until someone acts.", "previous spec"),
        ({"MaxFailureRatio": 0.1}, False, "If more than 10% of the new tasks fail", "0.1"),
    ],
)
def test_describe_update_config_variants(config, rollback, expected, absent):
    text = describe_update_config(config, rollback=rollback)
    assert expected in text
    assert absent not in text
    assert_clean(text)


# mask_env


def test_mask_env_keeps_order_and_hides_only_secrets():
    env = [
        "PATH=/usr/local/bin:/usr/bin",
        "DB_PASSWORD=hunter2",
        "HOME=/root",
        "API_KEY=abc123",
        "LANG=C.UTF-8",
        "AWS_SECRET_ACCESS_KEY=xyz",
        "MODE=production",
        "GITHUB_TOKEN=ghp_x",
        "SMTP_PASSWD=p",
        "MY_PASS=p",
        "gcp_credentials=json",
        "private_key_file=/run/secrets/k",
        "URL=postgres://u:p@db/x?a=b",
    ]
    assert mask_env(env) == [
        ("PATH", "/usr/local/bin:/usr/bin"),
        ("DB_PASSWORD", "••••••"),
        ("HOME", "/root"),
        ("API_KEY", "••••••"),
        ("LANG", "C.UTF-8"),
        ("AWS_SECRET_ACCESS_KEY", "••••••"),
        ("MODE", "production"),
        ("GITHUB_TOKEN", "••••••"),
        ("SMTP_PASSWD", "••••••"),
        ("MY_PASS", "••••••"),
        ("gcp_credentials", "••••••"),
        ("private_key_file", "••••••"),
        ("URL", "postgres://u:••••••@db/x?a=b"),  # a URL's password, whatever the name
    ]


def test_mask_env_empty_values_and_lines_without_equals():
    assert mask_env(["DB_PASSWORD=", "API_TOKEN", "DEBUG", "EMPTY="]) == [
        ("DB_PASSWORD", ""),
        ("API_TOKEN", ""),
        ("DEBUG", ""),
        ("EMPTY", ""),
    ]


@pytest.mark.parametrize("env", [None, []])
def test_mask_env_nothing(env):
    assert mask_env(env) == []


# config_advice

GOOD_SPEC = {
    "TaskTemplate": {
        "ContainerSpec": {"Image": "nginx", "Healthcheck": {"Test": ["CMD", "true"]}},
        "RestartPolicy": {"Condition": "on-failure"},
    },
    "Mode": {"Replicated": {"Replicas": 1}},
    "UpdateConfig": {"FailureAction": "rollback", "Order": "start-first"},
}


def test_config_advice_well_configured_service_has_nothing_to_say():
    assert config_advice(GOOD_SPEC) == []


def test_config_advice_several_replicas_need_no_start_first():
    spec = {**GOOD_SPEC, "Mode": {"Replicated": {"Replicas": 3}}, "UpdateConfig": {"FailureAction": "rollback"}}
    assert config_advice(spec) == []


def test_config_advice_global_service_needs_no_start_first():
    spec = {**GOOD_SPEC, "Mode": {"Global": {}}, "UpdateConfig": {"FailureAction": "rollback"}}
    assert config_advice(spec) == []


def test_config_advice_bad_service_gets_every_item():
    spec = {
        "TaskTemplate": {"ContainerSpec": {"Image": "nginx"}, "RestartPolicy": {"Condition": "none"}},
        "Mode": {"Replicated": {"Replicas": 1}},
        "UpdateConfig": {"FailureAction": "pause", "Order": "stop-first"},
    }
    advice = config_advice(spec)
    assert len(advice) == 4
    flags = ["--health-cmd", "--restart-condition on-failure", "--update-failure-action rollback"]
    for item, flag in zip(advice, [*flags, "--update-order start-first"], strict=True):
        assert flag in item
        assert_clean(item)


def test_config_advice_bare_spec_uses_docker_defaults():
    # No health check, default restart "any", default failure action "pause", default order "stop-first".
    spec = {"TaskTemplate": {"ContainerSpec": {"Image": "nginx"}}, "Mode": {"Replicated": {"Replicas": 1}}}
    advice = config_advice(spec)
    assert len(advice) == 3
    assert "--health-cmd" in advice[0]
    assert "--update-failure-action rollback" in advice[1]
    assert "--update-order start-first" in advice[2]


def test_config_advice_disabled_health_check_counts_as_none():
    spec = {**GOOD_SPEC, "TaskTemplate": {"ContainerSpec": {"Healthcheck": {"Test": ["NONE"]}}}}
    advice = config_advice(spec)
    assert len(advice) == 1
    assert "--health-cmd" in advice[0]


# Under another language (no Spanish catalogue for these strings yet): no crash, no leaked placeholder.

CALLS = [
    pytest.param(lambda: duration_words(2 * H + 5 * MIN), id="duration_words"),
    pytest.param(lambda: explain_exit(137, "dockerexec: unhealthy container"), id="explain_exit"),
    pytest.param(lambda: _outlook(max_attempts=3, failures_in_window=3, window_ns=MIN), id="restart_outlook"),
    pytest.param(lambda: describe_healthcheck({"Test": ["CMD", "true"], "StartPeriod": 10 * S}), id="healthcheck"),
    pytest.param(lambda: describe_restart_policy({"Condition": "on-failure", "MaxAttempts": 3}), id="restart_policy"),
    pytest.param(lambda: describe_update_config({"Parallelism": 2, "Delay": S}, rollback=True), id="update_config"),
    pytest.param(lambda: mask_env(["A=b", "API_KEY=c"])[1][1], id="mask_env"),
    pytest.param(lambda: " ".join(config_advice({"Mode": {"Replicated": {"Replicas": 1}}})), id="config_advice"),
]


@pytest.mark.parametrize("call", CALLS)
def test_output_has_no_leaked_placeholder(call):
    assert_clean(call())


@pytest.mark.parametrize("call", CALLS)
def test_works_under_spanish(call):
    with translation.override("es"):
        assert_clean(call())


def test_the_typed_readers_take_none_as_dockers_defaults():
    assert explain.describe_restart_policy(None) == describe_restart_policy({})
    assert explain.describe_update_config(None) == describe_update_config({})
    assert explain.describe_healthcheck(None) == describe_healthcheck(None)
