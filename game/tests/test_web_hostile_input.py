"""Hostile input on every page and form: never a server error, never a change.

For every named URL of the site (the admin's aside), as a role that may use it, this
sweep sends what a browser never would:

- the page's path and query string with a NUL byte, other control characters and a
  100,000-character value in them;
- every form the page shows (found in its HTML, so a new field is swept the day it
  appears), each field in turn replaced by a NUL byte, control characters, 100,000
  characters or 100,000 digits, the other fields as the page filled them in.

and asserts: never a 500. A control character is refused by a 400 page that says so,
whatever the page or field (``core.middleware``), with nothing changed. An over-long
value is refused by the page or its form with a message (or a 4xx page), nothing
changed: no row added or altered, no operation recorded, no sign-in attempt recorded;
or, where the field only steers (a checkbox, the list to go back to), it changes
nothing the same submission would not have changed with the page's own value, and
answers as that one does. (An XP operation that refuses a value counts the refusal as
"rejected", which monitoring never counts as an error: that record is the refusal, not
a change.) Each submission runs in a savepoint rolled back afterwards, so each starts
from the same world.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import get_messages
from django.db import models, transaction
from django.forms import BaseForm
from django.test import Client, override_settings
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from characters.models import Human
from core.models import OperationRecord, Outcome
from game.models import Invitation, Scene
from game.operations.accounts import confirmation_token
from game.tests.web_world import World, build_world

pytestmark = pytest.mark.django_db

CONTROL = {"nul": "Ada\x00Lovelace", "control": "Ada\x1b[2J\x07\x08\x0b\x0c\x7f"}
LONG = {"long": "x" * 100_000, "long digits": "9" * 100_000}
HOSTILE = {**CONTROL, **LONG}
# Refusals that are pages of their own: no form to show the message on.
REFUSAL_PAGES = {400, 403, 404, 405, 410, 429}
# The tables whose rows a request may not touch. Sessions are the client's own state
# (a message waiting for the next page is kept there); the rest is static.
WATCHED_APPS = ("auth", "axes", "characters", "core", "game", "notifications", "oversight")


@dataclass
class SweepWorld:
    world: World
    submitted: Human
    unfinished_scene: Scene
    invitation: Invitation
    reset_link: str
    address_link: str
    requests: list[int]  # a Pending one, an Approved one


def build_sweep_world() -> SweepWorld:
    """The shared page-test world, plus what makes the remaining forms appear: a
    character waiting for approval, a scene still being played, an open invitation and
    a password-reset link."""
    world = build_world()
    owner, head = world.users["owner"], world.users["head"]
    submitted = Human.objects.create(
        name="Sid", owner=owner, chronicle=world.chronicle, status="Sub"
    )
    # An approved request, which the head storyteller may reverse.
    ada = Human.objects.get(pk=world.approved.pk)
    decided = ada.spend_xp("dexterity")
    ada.approve_xp_spend(decided.pk, "dexterity", decided.new_value, head)
    # Spent willpower, so that the sheet offers to restore it.
    Human.objects.filter(pk=world.approved.pk).update(temporary_willpower=0)
    unfinished_scene = Scene.objects.create(chronicle=world.chronicle, name="Docks")
    unfinished_scene.participants.set([world.approved])
    invitation = Invitation.objects.create(chronicle=world.chronicle, created_by=head)
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    token = default_token_generator.make_token(owner)
    reset_link = reverse("password_reset_confirm", args=[uid, token])
    address_link = reverse(
        "confirm-address", args=[confirmation_token(user=owner, address="pat2@example.test")]
    )
    requests = [world.pending.pk, decided.pk]
    return SweepWorld(
        world, submitted, unfinished_scene, invitation, reset_link, address_link, requests
    )


@dataclass(frozen=True)
class Entry:
    """A URL of the site: who uses it, the pages that show its forms (its own by
    default) and whether the sweep must find a form with fields posting to it."""

    roles: tuple[str, ...]
    pages: Callable[[SweepWorld], list[str]]
    has_form: bool = False
    probe: bool = False


def page(name: str, *args) -> Callable[[SweepWorld], list[str]]:
    return lambda s: [reverse(name, args=[a(s) for a in args])]


def chronicle(s: SweepWorld) -> int:
    return s.world.chronicle.pk


def approved(s: SweepWorld) -> int:
    return s.world.approved.pk


def sheet_of(character: Callable[[SweepWorld], int]) -> Callable[[SweepWorld], list[str]]:
    return lambda s: [reverse("character-sheet", args=[character(s)])]


def status_pages(s: SweepWorld) -> list[str]:
    confirm = "character-status-confirm"
    return [
        reverse(confirm, args=[s.world.approved.pk, "Ret"]),
        reverse(confirm, args=[s.world.approved.pk, "Dec"]),
        reverse(confirm, args=[s.world.unfinished.pk, "Sub"]),
    ]


OWNER, HEAD, ANON = ("owner",), ("head",), ("anonymous",)

URLS: dict[str, Entry] = {
    "login": Entry(ANON, page("login"), has_form=True),
    "logout": Entry(OWNER, page("dashboard")),  # the menu's form: a token, no field
    "password_change": Entry(OWNER, page("password_change"), has_form=True),
    "password_change_done": Entry(OWNER, page("password_change_done")),
    "password_reset": Entry(ANON, page("password_reset"), has_form=True),
    "password_reset_done": Entry(ANON, page("password_reset_done")),
    "password_reset_confirm": Entry(ANON, lambda s: [s.reset_link], has_form=True),
    "password_reset_complete": Entry(ANON, page("password_reset_complete")),
    "dashboard": Entry(("owner", "head"), page("dashboard")),
    "my-scenes": Entry(OWNER, page("my-scenes")),
    "chronicle": Entry(("member",), page("chronicle", chronicle)),
    "invitations": Entry(HEAD, page("invitations", chronicle), has_form=True),
    "storytellers": Entry(HEAD, page("storytellers", chronicle), has_form=True),
    "chronicle-report": Entry(HEAD, page("chronicle-report", chronicle), has_form=True),
    "chronicle-audit": Entry(HEAD, page("chronicle-audit", chronicle), has_form=True),
    "chronicle-audit-csv": Entry(HEAD, page("chronicle-audit-csv", chronicle)),
    "invitation": Entry(
        ("anonymous", "outsider_player"),
        lambda s: [s.invitation.get_absolute_url()],
        has_form=True,
    ),
    "xp-history": Entry(OWNER, page("xp-history", approved)),
    "xp-history-csv": Entry(OWNER, page("xp-history-csv", approved)),
    "xp-spend": Entry(
        OWNER,
        lambda s: [reverse("xp-spend", args=[approved(s)]) + "?trait=strength"],
        has_form=True,
    ),
    "xp-withdraw": Entry(OWNER, sheet_of(approved)),  # a button: a token, no field
    "st-dashboard": Entry(HEAD, page("st-dashboard")),
    "st-queue": Entry(("head", "storyteller"), page("st-queue"), has_form=True),
    "st-request": Entry(
        HEAD, lambda s: [reverse("st-request", args=[pk]) for pk in s.requests], True
    ),
    "st-approvals": Entry(HEAD, page("st-approvals")),
    "st-approval-decision": Entry(HEAD, page("st-approvals"), has_form=True),
    "st-scenes": Entry(HEAD, page("st-scenes")),
    "st-scene-new": Entry(HEAD, page("st-scene-new"), has_form=True),
    "st-scene-edit": Entry(
        HEAD, lambda s: [reverse("st-scene-edit", args=[s.unfinished_scene.pk])], True
    ),
    "st-scene-finish": Entry(HEAD, page("st-scenes")),  # a button: a token, no field
    "st-scene-award": Entry(
        HEAD, lambda s: [reverse("st-scene-award", args=[s.world.scene.pk])], True
    ),
    "xp-adjust": Entry(HEAD, sheet_of(approved), has_form=True),
    "willpower-restore": Entry(HEAD, sheet_of(approved), has_form=True),
    "signup": Entry(ANON, page("signup"), has_form=True),
    "account": Entry(OWNER, page("account"), has_form=True),
    "chronicle-start": Entry(OWNER, page("chronicle-start"), has_form=True),
    "confirm-address": Entry(ANON, lambda s: [s.address_link]),  # a button, no field
    "character-create": Entry(("member",), page("character-create"), has_form=True),
    "character-sheet": Entry(("owner", "head"), sheet_of(approved)),
    "character-edit": Entry(
        OWNER, lambda s: [reverse("character-edit", args=[s.world.unfinished.pk])], True
    ),
    "character-status": Entry(("owner", "head"), status_pages, has_form=True),
    "character-status-confirm": Entry(("owner", "head"), status_pages),
    # The load balancer's probe, answered first whatever the request holds: it reads
    # nothing from it (oversight.middleware.HealthProbeMiddleware).
    "health": Entry(ANON, page("health"), probe=True),
    "health-validation": Entry(ANON, page("health-validation")),
    "metrics": Entry(ANON, page("metrics")),
    "ops-health": Entry(("superuser",), page("ops-health")),  # links, no form
    "ops-health-run": Entry(("superuser",), page("ops-health")),  # a button, no field
    "ops-integrity": Entry(("superuser",), page("ops-integrity")),
    "ops-operations": Entry(("superuser",), page("ops-operations"), has_form=True),
    "notification-preferences": Entry(OWNER, page("account"), has_form=True),
}


def site_url_names() -> set[str]:
    """Every named URL of tg.urls, the admin's aside (it has tests of its own)."""

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern.name

    return set(walk(get_resolver().url_patterns))


def test_the_sweep_covers_every_url_of_the_site():
    assert set(URLS) == site_url_names()


# --- Forms, as a browser reads them from the page -------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.fields))


class FormParser(HTMLParser):
    """The forms of a page with the values a browser would submit: text as filled in,
    every checkbox ticked, the first radio button, a select's chosen (or first
    non-empty) option; named submit buttons are kept apart, one submission each."""

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: dict | None = None
        self.textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            action = urljoin(self.url, a.get("action") or self.url)
            self.form = Form(action, (a.get("method") or "get").lower())
            return
        form = self.form
        name = a.get("name")
        if form is None or not name or "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "submit":
                form.buttons.append((name, a.get("value", "")))
            elif kind == "radio":
                if name not in form.names():
                    form.fields.append((name, a.get("value", "on")))
            elif kind == "checkbox":
                form.fields.append((name, a.get("value", "on")))
            elif kind not in ("button", "reset", "image", "file"):
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select":
            self.select = {"name": name, "options": [], "chosen": []}
        elif tag == "textarea":
            self.textarea = [name, ""]
        if tag == "option" and self.select is not None:
            value = a.get("value", "")
            self.select["options"].append(value)
            if "selected" in a:
                self.select["chosen"].append(value)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None
        elif tag == "select" and self.select is not None and self.form is not None:
            chosen = self.select["chosen"] or [o for o in self.select["options"] if o][:1]
            for value in chosen or [""]:
                self.form.fields.append((self.select["name"], value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self.form.fields.append((self.textarea[0], self.textarea[1].strip("\n")))
            self.textarea = None


def forms_of(response, url: str) -> list[Form]:
    if "html" not in response.get("Content-Type", ""):
        return []
    parser = FormParser(url)
    parser.feed(response.content.decode())
    return parser.forms


def url_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).url_name
    except Resolver404:
        return None


# --- What a request may change ---------------------------------------------------------------


def watched_models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in WATCHED_APPS
    ]


def rows(model):
    """The rows a request may not add or change. An XP operation that refused its input
    counts the refusal (``OperationRecord``, outcome "rejected"): that is the refusal the
    page shows, which monitoring never counts as an error; any other outcome is a change."""
    if model is OperationRecord:
        return model.objects.exclude(outcome=Outcome.REJECTED)
    return model.objects.all()


def exact_state() -> dict:
    """Every row of every watched table, every column."""
    return {
        model._meta.label: list(rows(model).order_by("pk").values_list())
        for model in watched_models()
    }


def _stable(f) -> bool:
    """A column whose value does not depend on when or with which ids a row was made."""
    volatile = (
        models.DateTimeField,
        models.DateField,
        models.ForeignKey,
        models.AutoField,
        models.FloatField,  # durations, a monitor run's score
        models.JSONField,  # a monitor run's report, which carries its own time
    )
    return not (
        f.primary_key or isinstance(f, volatile) or (f.has_default() and callable(f.default))
    )


def comparable_state() -> dict:
    """The rows of every watched table without their ids, times and random values, as a
    sorted list: two runs of the same submission from the same world give the same."""
    state = {}
    for model in watched_models():
        names = [f.attname for f in model._meta.concrete_fields if _stable(f)]
        values = rows(model).values_list(*names) if names else rows(model).values_list("pk")
        state[model._meta.label] = sorted(map(repr, values)) if names else len(values)
    return state


def refusal_shown(response) -> bool:
    """A 4xx page, a message for the next page, or a form showing an error."""
    if response.status_code in REFUSAL_PAGES:
        return True
    if any(True for _ in get_messages(response.wsgi_request)):
        return True
    contexts = response.context or []
    return any(
        isinstance(value, BaseForm) and bool(value.errors)
        for context in contexts
        for value in context.flatten().values()
    )


class Sweep:
    def __init__(self, client: Client, *, probe: bool = False):
        self.client = client
        self.probe = probe
        self.before: tuple | None = None  # the state before, as (exact, comparable)
        self.failures: list[str] = []

    def send(self, method: str, url: str, data) -> tuple:
        """The response and the state after it, in a savepoint rolled back afterwards
        (the client's cookies too: a sign-out or a new session is undone with it)."""
        cookies = copy.deepcopy(self.client.cookies)
        with transaction.atomic():
            if method == "post":
                response = self.client.post(url, data)
            else:
                query = urlencode(data, doseq=True)
                response = self.client.get(url + ("?" + query if query else ""))
            state = None
            if response.status_code != 500:
                exact = exact_state()
                # Unchanged rows compare as before; only a change needs the slower look.
                same = self.before is not None and exact == self.before[0]
                state = (exact, self.before[1] if same else comparable_state())
            transaction.set_rollback(True)
        self.client.cookies = cookies
        return response, state

    def check(self, what: str, kind: str, response, state, before, baseline=None):
        """``before``: the exact and comparable state before; ``baseline``: the status
        and the comparable state after the same submission with the page's own values."""
        status = response.status_code
        if status == 500:
            self.failures.append(f"{what} [{kind}]: 500")
            return
        exact, comparable = state
        unchanged = exact == before[0]
        if kind in CONTROL and self.probe:
            if not unchanged:
                self.failures.append(f"{what} [{kind}]: the probe changed something")
            return
        if kind in CONTROL:
            if status != 400 or "control character" not in response.content.decode():
                self.failures.append(f"{what} [{kind}]: {status}, not the 400 page")
            elif not unchanged:
                self.failures.append(f"{what} [{kind}]: 400, but something changed")
            return
        if unchanged:
            shown = refusal_shown(response)
            if baseline is not None and not shown and comparable != baseline[1]:
                self.failures.append(f"{what} [{kind}]: {status}, refused without a message")
            return
        if baseline is not None and comparable == baseline[1]:
            # The field only steers: the page's own value does the same, and answers the
            # same (not a refusal after the change was made).
            if status != baseline[0]:
                self.failures.append(
                    f"{what} [{kind}]: did what the page's values do, but answered {status}, "
                    f"not {baseline[0]}"
                )
            return
        changed = [label for label, rows in exact.items() if rows != before[0][label]]
        self.failures.append(f"{what} [{kind}]: {status}, changed {', '.join(changed)}")


def sign_in(client: Client, sweep_world: SweepWorld, role: str) -> None:
    client.logout()
    if role != "anonymous":
        client.force_login(sweep_world.world.users[role])


def hostile_urls(url: str) -> list[tuple[str, str, bool]]:
    """The URL with each hostile value as its last path segment, as a query value and as
    a query name; True for the query (the page's own URL without it is the comparison)."""
    path = urlsplit(url).path
    head = path.rstrip("/").rsplit("/", 1)[0]
    urls = []
    for kind, value in HOSTILE.items():
        urls.append((kind, f"{head}/{urlencode({'v': value})[2:]}/", False))
        urls.append((kind, f"{path}?{urlencode({'q': value})}", True))
        urls.append((kind, f"{path}?{urlencode({value: '1'})}", True))
    return urls


@pytest.mark.parametrize("name", sorted(URLS))
def test_hostile_input_on_every_page_and_form_is_refused_and_changes_nothing(name):
    entry = URLS[name]
    sweep_world = build_sweep_world()
    client = Client(raise_request_exception=False)
    sweep = Sweep(client, probe=entry.probe)
    found_form = False
    with override_settings(
        AXES_ENABLED=True, TG_OPEN_REGISTRATION=True, TG_CHRONICLE_STARTERS="anyone"
    ):
        for role in entry.roles:
            sign_in(client, sweep_world, role)
            shown = []
            for url in entry.pages(sweep_world):
                response = client.get(url, follow=True)
                assert response.status_code != 500, url
                final = response.redirect_chain[-1][0] if response.redirect_chain else url
                shown.append((final, forms_of(response, final)))
            before = sweep.before = (exact_state(), comparable_state())
            for final, forms in shown:
                own = urlsplit(own_url(name, final, forms)).path
                for method in ("get", "post"):
                    # The same request without the hostile query string, for comparison.
                    plain_response, plain = sweep.send(method, own, {})
                    for kind, url, query in hostile_urls(own):
                        response, state = sweep.send(method, url, {})
                        what = f"{role} {method.upper()} {url[:80]}"
                        baseline = None
                        if plain and query:
                            baseline = (plain_response.status_code, plain[1])
                        sweep.check(what, kind, response, state, before, baseline)
                for form in forms:
                    if url_name(form.action) == name:
                        found_form = sweep_form(sweep, form, role, before) or found_form
    if entry.has_form:
        assert found_form, f"no form with fields posting to {name} was found"
    assert not sweep.failures, "\n".join(sweep.failures)


def own_url(name: str, page_url: str, forms: list[Form]) -> str:
    """The entry's own URL, for the path and query sweep: the page, or when the page
    only shows its forms, where the first of them posts."""
    if url_name(page_url) == name:
        return page_url
    return next((form.action for form in forms if url_name(form.action) == name), page_url)


def sweep_form(sweep: Sweep, form: Form, role: str, before) -> bool:
    names = [n for n in form.names() if n != "csrfmiddlewaretoken"]
    variants = form.buttons or [None]
    if not names and not form.buttons:
        return False
    for button in variants:
        page_values = [(n, v) for n, v in form.fields if n != "csrfmiddlewaretoken"]
        if button is not None:
            page_values.append(button)
        plain_response, plain = sweep.send(form.method, form.action, to_data(page_values))
        baseline = (plain_response.status_code, plain[1]) if plain else None
        for target in dict.fromkeys([*names, *([button[0]] if button else [])]):
            for kind, value in HOSTILE.items():
                data = [(n, v) for n, v in page_values if n != target] + [(target, value)]
                response, state = sweep.send(form.method, form.action, to_data(data))
                what = f"{role} {form.method.upper()} {urlsplit(form.action).path} {target}="
                if button is not None:
                    what += f" ({button[0]}={button[1]})"
                sweep.check(what, kind, response, state, before, baseline)
    return bool(names)


def to_data(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data
