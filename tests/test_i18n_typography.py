"""Chinese typography in the zh_Hans catalogues.

- No space between a placeholder whose value ends in Chinese and the Chinese that follows it: a
  duration ("5 秒", from services.explain.duration_words), a time from ``naturaltime`` ("3 分钟前"),
  a label or sentence of ours ("已暂停", "始终重启"). "在 {delay} 后重启" renders "在 5 秒 后重启"; it
  must be "在 {delay}后重启". (A space between Chinese and a Latin or number value, "第 {line} 行",
  is the catalogue's style and stays.)
- No space inside or around the Chinese quotation marks “”.
- No ASCII comma next to Chinese: lists take 、 and sentences ，.
- No 它 (an English "it" carried over; Chinese names the thing again or leaves it out).
"""

from __future__ import annotations

import re

import pytest

from .test_glossary import Entry, catalogue

DOMAINS = ("django", "djangojs")

# The placeholders whose value ends in Chinese, by name: durations and natural times, and our own
# words (a state's label, a job's title, a restart condition's sentence).
CHINESE_ENDING = (
    "delay",
    "interval",
    "timeout",
    "period",
    "monitor",
    "window",
    "when",
    "expires",
    "state",
    "kind",
    "title",
    "health",
)
HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
CJK = HAN + r"\u3000-\u303f\uff00-\uffef"  # with the full-width punctuation
_ENDING = "|".join(CHINESE_ENDING)
RULES = {
    "space after a placeholder that ends in Chinese": re.compile(
        rf"(?:\{{(?:{_ENDING})\}}|%\((?:{_ENDING})\)s)[ \u00a0]+[{CJK}]"
    ),
    "space around “ or ”": re.compile(r"[ \u00a0][“”]|[“”][ \u00a0]"),
    "ASCII comma next to Chinese": re.compile(rf"[{HAN}]\s*,|,\s*[{HAN}]"),
    "它": re.compile("它"),
}
# msgid -> rules it may break, with why. Empty: no exception is needed yet.
ALLOWED: dict[str, set[str]] = {}


def typography_problems(entries: list[Entry]) -> list[str]:
    found = []
    for entry in entries:
        if not entry.translated:
            continue
        for msgstr in entry.msgstrs:
            for rule, pattern in RULES.items():
                if rule not in ALLOWED.get(entry.msgid, set()) and pattern.search(msgstr):
                    found.append(f"{rule}: {entry.msgid!r} -> {msgstr!r}")
    return found


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_chinese_catalogue_follows_chinese_typography(domain):
    assert typography_problems(catalogue("zh_Hans", domain)) == []


@pytest.mark.parametrize(
    ("msgstr", "rule"),
    [
        ("Swarm 将在 {delay} 后重启它。", "space after a placeholder that ends in Chinese"),
        ("由 %(who)s 于 %(when)s 部署", "space after a placeholder that ends in Chinese"),
        ("服务以 {state} 结束。", "space after a placeholder that ends in Chinese"),
        ("重启策略为 “none”。", "space around “ or ”"),
        ("服务, 任务和节点", "ASCII comma next to Chinese"),
        ("Swarm 不会重启它。", "它"),
    ],
)
def test_each_rule_finds_its_mistake(msgstr, rule):
    entry = Entry("", "x", "", (msgstr,), False)

    assert any(problem.startswith(f"{rule}:") for problem in typography_problems([entry]))


@pytest.mark.parametrize(
    "msgstr",
    [
        "Swarm 将在 {delay}后重启。",
        "第 {line} 行：{key} 出现了两次。",
        "“最后几行”必须是 0 到 {max} 之间的数字。",
        "{n} 个任务",
    ],
)
def test_good_chinese_passes(msgstr):
    assert typography_problems([Entry("", "x", "", (msgstr,), False)]) == []
