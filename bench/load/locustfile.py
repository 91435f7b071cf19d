"""Players and storytellers doing what tg's pages do, over HTTP, against several instances.

Started by bench/load/run.sh (which prepares the data and the servers). Each simulated
person signs in through the real form, then browses and acts as a person would, with
think time; a share of spends are double-clicked. Requests are named by page, so the
statistics read per page and per action.
"""

import html
import json
import os
import random
import re
from collections import Counter

import urllib3
from locust import HttpUser, between, events, task

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

with open(os.environ["TG_LOAD_USERS"]) as users_file:
    USERS = json.load(users_file)
HOSTS = os.environ["TG_LOAD_HOSTS"].split(",")
TRAITS = ["alertness", "athletics", "brawl", "empathy", "strength", "wits", "science", "melee"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ALERT = re.compile(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', re.S)


OUTCOMES: Counter[str] = Counter()  # what the pages said after each action


@events.test_stop.add_listener
def write_outcomes(**_kwargs):
    out = os.environ.get("TG_LOAD_OUTCOMES")
    if out:
        with open(out, "w") as outcomes_file:
            json.dump(dict(sorted(OUTCOMES.items())), outcomes_file, indent=1)


def alert(page) -> str:
    """The first message on a page (Django's messages framework), as plain text."""
    found = ALERT.search(page.text)
    if not found:
        return ""
    text = html.unescape(re.sub(r"<[^>]+>|\s+", " ", found.group(1))).strip()
    return re.sub(r"\d+", "#", text)  # "#12, 3 → 4" reads the same for every request


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    host = HOSTS[0]  # Locust wants one; on_start picks each person's instance
    pool: list[str] = []

    def on_start(self):
        # Each person talks to one instance, as a load balancer with sticky sessions would;
        # about half of them to each. The instances serve HTTPS with a throwaway
        # self-signed certificate (run.sh), hence no verification.
        self.client.base_url = random.choice(HOSTS)
        self.client.verify = False
        self.username = random.choice(self.pool)
        page = self.get("/accounts/login/", name="sign-in page")
        token = CSRF.search(page.text)
        data = {"username": self.username, "password": USERS["password"], "next": "/"}
        self.post("/accounts/login/", data | {"csrfmiddlewaretoken": token.group(1)}, "sign in")

    def request(self, method, url, name, data=None):
        """One request, failed (in the statistics) on any 4xx/5xx or a signed-out page."""
        headers = {}
        if method == "POST":
            headers["Referer"] = self.client.base_url + url
        with self.client.request(
            method, url, name=name, data=data, headers=headers, catch_response=True
        ) as response:
            if not response.status_code:
                response.failure(f"no response: {response.error}")
            elif response.status_code >= 400:
                response.failure(f"HTTP {response.status_code}")
            elif "/accounts/login/" in (response.url or "") and name != "sign-in page":
                response.failure("not signed in: the sign-in page came back")
        return response

    def get(self, url, name):
        return self.request("GET", url, name)

    def post(self, url, data, name):
        data = {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")} | data
        return self.request("POST", url, name, data)


def spend_outcome(page) -> str:
    text = alert(page)
    if text.startswith("Requested "):
        return "requested"
    if "already has a pending request" in text:
        return "already pending"
    return "refused: " + (text[:60] or "no message")


class Player(Person):
    weight = 4
    pool = USERS["players"]

    def my_characters(self) -> list[str]:
        page = self.get("/", name="dashboard")
        return re.findall(r'href="/characters/(\d+)/"', page.text)

    @task(4)
    def dashboard(self):
        self.my_characters()

    @task(4)
    def sheet(self):
        ids = self.my_characters()
        if ids:
            self.get(f"/characters/{random.choice(ids)}/", name="sheet")

    @task(2)
    def history(self):
        ids = self.my_characters()
        if ids:
            self.get(f"/characters/{random.choice(ids)}/xp/", name="xp history")

    @task(3)
    def spend(self):
        ids = self.my_characters()
        if not ids:
            return
        pk = random.choice(ids)
        url = f"/characters/{pk}/xp/spend/"
        self.get(url, name="spend page")  # each dot a button: the page, then its POST
        trait = random.choice(TRAITS)
        data = {"trait": trait, "note": "Trained all winter" if random.random() < 0.3 else ""}
        OUTCOMES[spend_outcome(self.post(url, data, name="spend (POST)"))] += 1
        if random.random() < 0.2:  # the double click: the same spend sent again
            second = self.post(url, {"trait": trait}, name="spend (POST, double click)")
            OUTCOMES["double click: " + spend_outcome(second)] += 1

    @task(1)
    def withdraw(self):
        ids = self.my_characters()
        if not ids:
            return
        pk = random.choice(ids)
        page = self.get(f"/characters/{pk}/", name="sheet")
        found = re.findall(rf'action="(/characters/{pk}/xp/requests/\d+/withdraw/)"', page.text)
        if found:
            page = self.post(random.choice(found), {}, name="withdraw (POST)")
            OUTCOMES["withdraw: " + (alert(page)[:40] or "no message")] += 1


class Storyteller(Person):
    weight = 1
    pool = USERS["storytellers"]

    @task(2)
    def dashboard(self):
        self.get("/st/", name="storyteller dashboard")

    @task(3)
    def batch(self):
        page = self.get("/st/requests/", name="queue")
        ids = sorted(set(re.findall(r'name="decision-(\d+)"', page.text)))
        if not ids:
            return
        # A decision on 1-6 rows, one POST: most approved, some denied with a reason.
        data = {"action": "decide"}
        for pk in random.sample(ids, min(len(ids), random.randint(1, 6))):
            if random.random() < 0.75:
                data[f"decision-{pk}"] = "approve"
            else:
                data[f"decision-{pk}"] = "deny"
                data[f"reason-{pk}"] = "Not this session"
        page = self.post("/st/requests/", data, name="batch decision (POST)")
        OUTCOMES["batch: " + (alert(page)[:40] or "no message")] += 1

    @task(1)
    def award(self):
        page = self.get("/st/scenes/", name="scenes")
        awards = re.findall(r'href="(/st/scenes/\d+/award/)">Award XP', page.text)
        if not awards:
            return
        url = random.choice(awards)
        shown = self.get(url, name="award page")
        # The form as the page sends it: the default amount, no override, and the XP
        # the page showed for each participant (the server awards only if it agrees).
        fields = dict(re.findall(r'name="(gets_\d+)" value="(\d+)"', shown.text))
        fields |= {"default": "1", "confirm": "1"}
        page = self.post(url, fields, name="award (POST)")
        OUTCOMES["award: " + (alert(page)[:40] or "no message")] += 1
