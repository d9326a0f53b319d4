"""Spanish and Simplified Chinese: complete catalogues, no English leaking into pages, placeholders kept."""

import gettext
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts import activation
from accounts.models import Installation
from jobs.models import Job
from updates.models import UpdateTarget

from .conftest import NOW, ROOT

LANGUAGES = {"es": "es", "zh-hans": "zh_Hans"}
DOMAINS = ("django", "djangojs")
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)[sd]")


def _compiled(tmp_path, folder: str, domain: str = "django") -> dict:
    """The catalogue compiled from the .po in the repository (not a stale .mo)."""
    target = tmp_path / folder / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    source = ROOT / "locale" / folder / "LC_MESSAGES" / f"{domain}.po"
    subprocess.run(["msgfmt", "--check", "-o", str(target / f"{domain}.mo"), str(source)], check=True)
    with open(target / f"{domain}.mo", "rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


# --- the catalogues -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_message_in_the_code_is_translated(tmp_path, settings, monkeypatch):
    """makemessages into a copy of locale/: any new, untranslated or fuzzy message fails."""
    copy = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", copy, ignore=shutil.ignore_patterns("*.mo"))
    settings.LOCALE_PATHS = [copy]
    # The sources, linked into a folder without locale/: makemessages writes into a locale/ it
    # finds beside the sources, which would be the committed catalogue, not the copy.
    source = tmp_path / "source"
    source.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in ("locale", ".git", ".venv", "var", "tests", "test-artifacts"):
            (source / entry.name).symlink_to(entry)
    monkeypatch.chdir(source)
    for domain in DOMAINS:
        call_command(
            "makemessages",
            symlinks=True,
            locale=list(LANGUAGES.values()),
            domain=domain,
            ignore_patterns=[".venv/*", "var/*", "tests/*", "test-artifacts/*", "static/vendor/*"],
            no_location=True,
            no_obsolete=True,
            verbosity=0,
        )
    for folder in LANGUAGES.values():
        for domain in DOMAINS:
            po = copy / folder / "LC_MESSAGES" / f"{domain}.po"
            stats = subprocess.run(
                ["msgfmt", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=True
            ).stderr
            assert "untranslated" not in stats and "fuzzy" not in stats, f"{po.relative_to(tmp_path)}: {stats}"
            committed = ROOT / "locale" / folder / "LC_MESSAGES" / f"{domain}.po"
            assert _msgids(po) == _msgids(committed), f"run makemessages: {committed} is not up to date"


def _msgids(po) -> set[str]:
    return set(re.findall(r'^msgid "(.*)"$', po.read_text(), re.MULTILINE))


@pytest.mark.parametrize("folder", LANGUAGES.values())
@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_the_placeholders(tmp_path, folder, domain):
    catalog = _compiled(tmp_path, folder, domain)
    assert len(catalog) > (100 if domain == "django" else 1)
    for key, translation in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid:
            continue  # the header
        expected = set(PLACEHOLDER.findall(msgid))
        found = set(PLACEHOLDER.findall(translation))
        if isinstance(key, tuple):
            # A plural form may leave out the count ("one node"), never add or rename a placeholder.
            assert found <= expected, (msgid, translation)
        else:
            assert found == expected, (msgid, translation)


# --- the pages ----------------------------------------------------------------------------------


class _Text(HTMLParser):
    """Visible text and the attributes people read (title, aria-label, placeholder).

    Skipped: code and times (data), and elements in another language on purpose (the language
    bar names each language in that language).
    """

    SKIPPED = ("script", "style", "code", "time", "title")
    VOID = ("input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area")

    def __init__(self):
        super().__init__()
        self.texts, self.skipping = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.skipping or tag in self.SKIPPED or (tag != "html" and "lang" in attributes):
            if tag not in self.VOID:
                self.skipping.append(tag)
            return
        for name in ("title", "aria-label", "placeholder"):
            if attributes.get(name):
                self.texts.append(attributes[name].strip())

    def handle_startendtag(self, tag, attrs):
        if not self.skipping:
            for name in ("title", "aria-label", "placeholder"):
                if dict(attrs).get(name):
                    self.texts.append(dict(attrs)[name].strip())

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def _leaks(html: str, catalog: dict) -> list[str]:
    english = {key for key, value in catalog.items() if isinstance(key, str) and key and value != key}
    english |= {key[0] for key in catalog if isinstance(key, tuple)}
    parser = _Text()
    parser.feed(html)
    return [text for text in parser.texts if text in english and not text.isupper()]


@pytest.fixture
def job(db):
    steps = [
        {"at": NOW.isoformat(), "code": code, "params": params}
        for code, params in [
            ("queued", {"user": "admin"}),
            ("claimed", {"attempt": 1}),
            ("updated", {}),
            ("update_state", {"state": "paused"}),
            ("progress", {"done": 1, "total": 2}),
            ("error:paused", {"message": "update paused due to failure"}),
        ]
    ]
    return Job.objects.create(
        kind="update",
        service_id="svc1",
        service_name="web",
        state="paused",
        steps=steps,
        error_code="paused",
        error="update paused due to failure",
        progress_done=1,
        progress_total=2,
    )


def _update_targets() -> None:
    """The Updates page with a reason and a result to word."""
    UpdateTarget.objects.create(
        key="panel",
        kind="panel_container",
        name="swarmdeck",
        result="not_supported",
        reason="not_in_container",
        checked_at=NOW,
    )
    UpdateTarget.objects.create(
        key="service:svc1",
        kind="service",
        name="web",
        image="reg:5000/web:1",
        result="registry_unreachable",
        checked_at=NOW,
    )


def _team(admin) -> None:
    """A row on each page of the team and its integrations: an invite, a token, a hook, a channel,
    a rule, an incident and its delivery."""
    import engine
    from api.tokens import token_create
    from hooks.deploy import hook_create
    from notifications.models import Channel, Delivery, Incident, Rule
    from users.invites import invite_create

    invite_create(role="operator", note="Ana", hours=72, created_by=admin)
    token_create(user=admin, name="ci", role="operator", days=30)
    hook_create(service=engine.service_detail(service_id="svc1").summary, name="ci", user=admin)
    channel = Channel(name="team", display_url="json://127.0.0.1/")
    channel.url = "json://127.0.0.1/"
    channel.save()
    rule = Rule.objects.create(name="crashes", kind=Rule.Kind.CRASH_LOOP)
    rule.channels.add(channel)
    incident = Incident.objects.create(
        rule=rule,
        subject="svc1",
        subject_name="web",
        code="crash_loop",
        params={"restarts": 4, "minutes": 5},
        noticed_at=NOW,
        opened_at=NOW,
    )
    Delivery.objects.create(incident=incident, channel=channel, kind=Delivery.Kind.OPENED, state="failed", error="x")


def _pages(client, admin_login, job) -> dict[str, str]:
    pages = {}
    Installation.objects.update(wizard_done_at=None)
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get()
    client.force_login(admin)
    _update_targets()
    _team(admin)
    for name, url in [
        ("overview", reverse("overview")),
        ("services", reverse("services:list")),
        ("detail", reverse("services:detail", args=["svc1"])),
        ("nodes", reverse("nodes:list")),
        ("job", reverse("jobs:detail", args=[job.id])),
        ("jobs", reverse("jobs:list")),
        ("create", reverse("services:create")),
        ("update", reverse("services:update", args=["svc1"])),
        ("rollback", reverse("services:rollback", args=["svc1"])),
        ("remove", reverse("services:remove", args=["svc1"])),
        ("wizard-language", reverse("accounts:setup_step", args=["language"])),
        ("wizard-docker", reverse("accounts:setup_step", args=["docker"])),
        ("wizard-updates", reverse("accounts:setup_step", args=["updates"])),
        ("password", reverse("accounts:password_change")),
        ("updates", reverse("updates:page")),
        ("logs", reverse("logs:service", args=["svc1"])),
        ("users", reverse("users:list")),
        ("invite", reverse("users:invite")),
        ("tokens", reverse("api:tokens")),
        ("token-create", reverse("api:token_create")),
        ("hooks", reverse("hooks:list")),
        ("hook-create", reverse("hooks:create", args=["svc1"])),
        ("notifications", reverse("notifications:list")),
        ("rule-create", reverse("notifications:rule_create")),
        ("channel-create", reverse("notifications:channel_create")),
    ]:
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = response.content.decode()
    bad = client.post(reverse("services:create"), {"name": "has spaces", "image": "", "replicas": "-1"})
    pages["create-errors"] = bad.content.decode()
    client.post(reverse("logout"))
    pages["login"] = client.get(reverse("login")).content.decode()
    return pages


@pytest.fixture
def before_activation(db):
    raw, _ = activation.setup_token_issue()
    return raw


@pytest.mark.parametrize("language", LANGUAGES)
def test_activation_pages_are_translated(client, before_activation, language, tmp_path):
    catalog = _compiled(tmp_path, LANGUAGES[language])
    client.cookies["django_language"] = language
    for html in (
        client.get(reverse("accounts:activate")).content.decode(),
        client.get(reverse("accounts:activate"), {"token": before_activation}, follow=True).content.decode(),
    ):
        assert f'<html lang="{language}">' in html
        assert _leaks(html, catalog) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_are_translated_and_declare_their_language(
    client, admin_login, fake_engine, job, language, tmp_path
):
    catalog = _compiled(tmp_path, LANGUAGES[language])
    client.cookies["django_language"] = language

    pages = _pages(client, admin_login, job)

    for name, html in pages.items():
        assert f'<html lang="{language}">' in html, name
        assert _leaks(html, catalog) == [], name
    # Docker's own words stay as the engine wrote them, explained next to them in the language.
    assert "task: non-zero exit (137): dockerexec: unhealthy container" in pages["detail"]


def test_the_english_pages_are_english_and_the_leak_check_sees_them(client, admin_login, fake_engine, job, tmp_path):
    pages = _pages(client, admin_login, job)

    assert '<html lang="en">' in pages["overview"]
    assert "Needs attention" in pages["overview"]
    # The check above would catch a leak: on an English page it finds plenty.
    assert "Needs attention" in _leaks(pages["overview"], _compiled(tmp_path, "es"))
    assert "Create service" in _leaks(pages["create-errors"], _compiled(tmp_path, "zh_Hans"))


def test_the_browser_language_picks_the_first_default(client, admin_login):
    html = client.get(reverse("login"), headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).content.decode()

    assert '<html lang="zh-hans">' in html


def test_the_language_bar_is_on_every_page_and_remembers_the_choice(client, admin_login, fake_engine):
    from accounts.models import Profile

    client.post(reverse("login"), {"username": admin_login.username, "password": admin_login.password})
    html = client.get(reverse("services:list")).content.decode()
    assert 'class="language-bar"' in html
    assert "简体中文" in html and "español" in html

    client.post(reverse("set_language"), {"language": "es", "next": "/services/"})

    assert Profile.objects.get().language == "es"
    assert '<html lang="es">' in client.get(reverse("services:list")).content.decode()


def test_job_messages_follow_the_reader_language(client, admin_login, job, monkeypatch, no_enqueue):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get())
    english = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    client.cookies["django_language"] = "es"
    spanish = client.get(reverse("jobs:detail", args=[job.id])).content.decode()

    assert "Queued by admin." in english
    assert "Queued by admin." not in spanish
    assert "update paused due to failure" in spanish  # the engine's words, as it wrote them
