"""Players and storytellers doing what tg's pages do, over HTTP, against several instances.

Started by bench/load/run.sh (which prepares the data and the servers). Each simulated
person signs in through the real form, then browses and acts as a person would, with
think time; a share of spends are double-clicked. Requests are named by page, so the
statistics read per page and per action.
"""

import json
import os
import random
import re
from http.cookiejar import DefaultCookiePolicy

from locust import HttpUser, between, task

with open(os.environ["TG_LOAD_USERS"]) as users_file:
    USERS = json.load(users_file)
HOSTS = os.environ["TG_LOAD_HOSTS"].split(",")
TRAITS = ["alertness", "athletics", "brawl", "empathy", "strength", "wits", "science", "melee"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    pool: list[str] = []

    def on_start(self):
        # Each person talks to one instance, as a load balancer with sticky sessions would;
        # half of them to each. The instances run the production settings behind a
        # pretend TLS proxy: the proxy's header, and secure cookies sent over loopback HTTP.
        self.client.base_url = random.choice(HOSTS)
        self.client.headers["X-Forwarded-Proto"] = "https"
        self.client.cookies.set_policy(DefaultCookiePolicy(secure_protocols=("http", "https")))
        self.username = random.choice(self.pool)
        page = self.client.get("/accounts/login/", name="sign-in page")
        token = CSRF.search(page.text)
        self.post(
            "/accounts/login/",
            {"username": self.username, "password": USERS["password"], "next": "/"}
            | ({"csrfmiddlewaretoken": token.group(1)} if token else {}),
            name="sign in",
        )

    def post(self, url, data, name):
        token = self.client.cookies.get("csrftoken", "")
        referer = self.client.base_url.replace("http://", "https://") + url
        return self.client.post(
            url, {**data, "csrfmiddlewaretoken": token}, name=name, headers={"Referer": referer}
        )


class Player(Person):
    weight = 4
    pool = USERS["players"]

    def my_characters(self) -> list[str]:
        page = self.client.get("/", name="dashboard")
        return re.findall(r'href="/characters/(\d+)/"', page.text)

    @task(4)
    def dashboard(self):
        self.my_characters()

    @task(4)
    def sheet(self):
        ids = self.my_characters()
        if ids:
            self.client.get(f"/characters/{random.choice(ids)}/", name="sheet")

    @task(2)
    def history(self):
        ids = self.my_characters()
        if ids:
            self.client.get(f"/characters/{random.choice(ids)}/xp/", name="xp history")

    @task(3)
    def spend(self):
        ids = self.my_characters()
        if not ids:
            return
        pk = random.choice(ids)
        url = f"/characters/{pk}/xp/spend/"
        self.client.get(url, name="spend page")
        trait = random.choice(TRAITS)
        self.client.get(f"{url}?trait={trait}", name="spend confirm")
        self.post(url, {"trait": trait}, name="spend (POST)")
        if random.random() < 0.2:  # the double click
            self.post(url, {"trait": trait}, name="spend (POST)")

    @task(1)
    def withdraw(self):
        ids = self.my_characters()
        if not ids:
            return
        pk = random.choice(ids)
        page = self.client.get(f"/characters/{pk}/", name="sheet")
        found = re.findall(rf'action="(/characters/{pk}/xp/requests/\d+/withdraw/)"', page.text)
        if found:
            self.post(random.choice(found), {}, name="withdraw (POST)")


class Storyteller(Person):
    weight = 1
    pool = USERS["storytellers"]

    @task(2)
    def dashboard(self):
        self.client.get("/st/", name="storyteller dashboard")

    @task(3)
    def batch(self):
        page = self.client.get("/st/requests/", name="queue")
        ids = re.findall(r'name="request" value="(\d+)"', page.text)
        if not ids:
            return
        chosen = random.sample(ids, min(len(ids), random.randint(1, 6)))
        if random.random() < 0.75:
            data = {"action": "approve", "request": chosen}
        else:
            data = {"action": "deny", "request": chosen, "reason": "Not this session"}
        self.post("/st/requests/", data, name="batch decision (POST)")

    @task(1)
    def award(self):
        page = self.client.get("/st/scenes/", name="scenes")
        awards = re.findall(r'href="(/st/scenes/\d+/award/)">Award XP', page.text)
        if not awards:
            return
        url = random.choice(awards)
        self.client.get(url, name="award page")
        self.post(url, {"default": "1", "confirm": "1"}, name="award (POST)")
