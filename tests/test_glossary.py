"""The catalogues follow locale/glossary.tsv: one word per concept in each language.

locale/glossary.tsv has one row per key term, tab-separated, with a header:

- ``term``: the English term, and ``note``: what it means (for translators);
- ``match``: a regular expression (case-insensitive) that finds the term in a msgid, in this sense;
- ``es``, ``zh_Hans``: the glossary's word in each language (Docker's own wording where it exists);
- ``es_accept``, ``zh_Hans_accept``: the forms a translation may use, comma-separated (the word, its
  inflections: in Spanish a form is a whole word, ``*`` standing for any letters; in Chinese a
  form is any substring);
- ``es_avoid``, ``zh_Hans_avoid``: wrong words seen before, in the same format; none may appear.

Every translated msgstr whose msgid contains a term must contain one of its accepted forms and no
avoided one. Before matching, text the translation keeps as written is taken out of both: code in
backticks or single quotes, placeholders. EXCEPTIONS below lists, per term, the few msgids where
the English word is not the concept (with why).

Django ships no .po parser and the project has no polib or babel: ``po_entries`` reads the little
of the format the catalogues use.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from .support import ROOT

GLOSSARY = ROOT / "locale" / "glossary.tsv"
LANGUAGES = ("es", "zh_Hans")
DOMAINS = ("django", "djangojs")

# term -> msgids where the English word is not the term's concept.
_COMPOSE_KEYS = "The files named by 'file:' under secrets and configs, matched by file name. Their content goes to the engine only, never to the panel's database."  # noqa: E501
EXCEPTIONS: dict[str, set[str]] = {
    # A value kept hidden (a masked environment variable), not a Docker secret object; and the
    # compose file's keys "secrets:" and "configs:", kept in English.
    "secret": {
        "Not secret: shown on the config's page. At most 500 KB.",
        "Secret variables",
        "One KEY=VALUE per line. A secret shows as {mask}: leave it so to keep it, or type the new value.",
        _COMPOSE_KEYS,
    },
    "config": {_COMPOSE_KEYS},
    # A password manager, not a manager node.
    "manager": {
        "These credentials were generated for you and are shown only once. "
        "Copy them to your password manager or print them before you activate."
    },
}


# --- a tiny .po reader ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    context: str
    msgid: str
    msgid_plural: str
    msgstrs: tuple[str, ...]
    fuzzy: bool

    @property
    def translated(self) -> bool:
        return bool(self.msgid) and not self.fuzzy and all(self.msgstrs)


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$')
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(1)), text)


def po_entries(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete ``#~`` ones left out; the header is the one with msgid "")."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags = ""
    key = None

    def flush() -> None:
        nonlocal fields, flags, key
        if "msgid" in fields:
            strs = tuple(value for name, value in sorted(fields.items()) if name.startswith("msgstr"))
            entries.append(
                Entry(
                    fields.get("msgctxt", ""), fields["msgid"], fields.get("msgid_plural", ""), strs, "fuzzy" in flags
                )
            )
        fields, flags, key = {}, "", None

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            flush()
        elif line.startswith("#,"):
            flags += line
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            if match.group(1) in ("msgctxt", "msgid") and key and key.startswith("msgstr"):
                flush()  # entries not separated by a blank line
            key = match.group(1)
            fields[key] = _unescape(match.group(2))
        elif line.startswith('"') and key:
            fields[key] += _unescape(line[1:-1])
    flush()
    return entries


def catalogue(folder: str, domain: str = "django") -> list[Entry]:
    return po_entries(ROOT / "locale" / folder / "LC_MESSAGES" / f"{domain}.po")


# --- the glossary ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    term: str
    match: re.Pattern
    words: dict[str, str]
    accept: dict[str, list[re.Pattern]]
    avoid: dict[str, list[re.Pattern]]
    note: str


def _forms(language: str, cell: str) -> list[re.Pattern]:
    forms = [form.strip() for form in cell.split(",") if form.strip()]
    if language == "zh_Hans":
        return [re.compile(re.escape(form)) for form in forms]
    # A Spanish form is a whole word (or words); "*" stands for any letters.
    return [re.compile(r"(?<!\w)" + re.escape(form).replace(r"\*", r"\w*") + r"(?!\w)", re.I) for form in forms]


def glossary() -> list[Term]:
    with GLOSSARY.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [
        Term(
            term=row["term"],
            match=re.compile(row["match"], re.I),
            words={language: row[language] for language in LANGUAGES},
            accept={language: _forms(language, row[f"{language}_accept"]) for language in LANGUAGES},
            avoid={language: _forms(language, row[f"{language}_avoid"]) for language in LANGUAGES},
            note=row["note"],
        )
        for row in rows
    ]


# Kept as written by every language, so no glossary word is looked for in it: code in backticks or
# quotes, placeholders, commands ("docker service create --mount"), paths ("docker/stack.yml"),
# dotted names ("node.role==manager") and names in capitals ("SECRET").
_VERBATIM = re.compile(
    r"`[^`]*`|'[^'\s][^']*'|\{\w+\}|%\(\w+\)[sd]|\$\{\w+\}"
    r"|\bdocker(?: [a-z]+){1,2}(?: --[\w-]+)?|[\w.-]*/[\w./-]+|\w+(?:\.\w+)+(?:==\w+)?|\b[A-Z][A-Z_]{2,}\b"
)


def _plain(text: str) -> str:
    return _VERBATIM.sub(" ", text)


def problems(term: Term, language: str, entries: list[Entry]) -> list[str]:
    """Each translation of a msgid with ``term`` that lacks the glossary's word or uses an avoided one."""
    found = []
    skipped = EXCEPTIONS.get(term.term, set())
    for entry in entries:
        english = _plain(f"{entry.msgid} {entry.msgid_plural}")
        if not entry.translated or entry.msgid in skipped or not term.match.search(english):
            continue
        for msgstr in entry.msgstrs:
            text = _plain(msgstr)
            if not any(form.search(text) for form in term.accept[language]):
                found.append(f"{entry.msgid!r} -> {msgstr!r}: no {term.words[language]}")
            found.extend(
                f"{entry.msgid!r} -> {msgstr!r}: {form.pattern!r} instead of {term.words[language]}"
                for form in term.avoid[language]
                if form.search(text)
            )
    return found


# --- tests ----------------------------------------------------------------------------------------


def test_the_glossary_is_well_formed_and_follows_itself():
    terms = glossary()
    assert len(terms) >= 20
    assert len({term.term for term in terms}) == len(terms)
    for term in terms:
        assert term.note, term.term
        for language in LANGUAGES:
            assert term.words[language] and term.accept[language], (term.term, language)
            # The glossary's own word is one a translation may use, and none it must avoid.
            word = term.words[language].replace(" · ", ", ")
            assert any(form.search(word) for form in term.accept[language]), (term.term, language)
            assert not any(form.search(word) for form in term.avoid[language]), (term.term, language)


@pytest.mark.parametrize("term", [term.term for term in glossary()])
def test_each_term_is_in_the_messages(term):
    """A term no msgid matches (a typo in ``match``) would make its check pass without checking."""
    entry = next(t for t in glossary() if t.term == term)
    entries = catalogue("es") + catalogue("es", "djangojs")
    assert any(entry.match.search(_plain(f"{e.msgid} {e.msgid_plural}")) for e in entries), term


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("term", [term.term for term in glossary()])
def test_the_catalogues_follow_the_glossary(language, term):
    entry = next(t for t in glossary() if t.term == term)
    entries = [e for domain in DOMAINS for e in catalogue(language, domain)]

    assert problems(entry, language, entries) == []


def test_the_check_finds_a_wrong_word_and_a_missing_one():
    terms = {term.term: term for term in glossary()}
    sane = Entry("", "The service is healthy.", "", ("El servicio está sano.",), False)
    well = Entry("", "%(n)s healthy", "", ("%(n)s saludables",), False)
    worker = Entry("", "Demote to worker", "", ("降级为工作进程",), False)
    untranslated = Entry("", "The service is healthy.", "", ("",), False)

    assert problems(terms["healthy"], "es", [sane]) == [
        "'The service is healthy.' -> 'El servicio está sano.': no saludable",
        "'The service is healthy.' -> 'El servicio está sano.': '(?<!\\\\w)sano(?!\\\\w)' instead of saludable",
    ]
    assert problems(terms["healthy"], "es", [well, untranslated]) == []
    assert len(problems(terms["worker node"], "zh_Hans", [worker])) == 2  # no 工作节点, and 工作进程
    # The Celery worker is not a node: the node's word is wrong there.
    celery = Entry("", "A worker stopped during this job.", "", ("一个工作节点在此作业中停止。",), False)
    assert problems(terms["Celery worker"], "zh_Hans", [celery]) and not problems(
        terms["worker node"], "zh_Hans", [celery]
    )


def test_the_reader_reads_contexts_plurals_and_continued_lines(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n\n'
        'msgctxt "job kind"\nmsgid "Scale"\nmsgstr "Escalado"\n\n'
        '#, fuzzy\nmsgid "a"\nmsgstr "b"\n\n'
        'msgid "%(n)s task"\nmsgid_plural "%(n)s tasks"\n'
        'msgstr[0] "%(n)s tarea"\nmsgstr[1] ""\n"%(n)s \\"tareas\\""\n\n'
        '#~ msgid "old"\n#~ msgstr "viejo"\n',
        encoding="utf-8",
    )

    header, scale, fuzzy, plural = po_entries(po)

    assert (header.msgid, header.translated) == ("", False)
    assert (scale.context, scale.msgid, scale.msgstrs, scale.translated) == ("job kind", "Scale", ("Escalado",), True)
    assert fuzzy.fuzzy and not fuzzy.translated
    assert plural.msgid_plural == "%(n)s tasks" and plural.msgstrs == ("%(n)s tarea", '%(n)s "tareas"')
