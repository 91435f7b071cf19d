"""Passwords are stored with Argon2id at OWASP's parameters (core/hashers.py), and an
older hash — PBKDF2, or Argon2 with other parameters — is replaced at the account's next
successful sign-in through the real form (issue 20, goal 1). The suite itself hashes
with MD5 for speed; these tests put the production list back."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from tg.settings.base import PASSWORD_HASHERS as PRODUCTION_HASHERS

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough pass phrase"
OWASP = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture(autouse=True)
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS


def account_with(encoded: str):
    user = get_user_model().objects.create(username="ada")
    get_user_model().objects.filter(pk=user.pk).update(password=encoded)
    return user


def sign_in(client, password: str):
    return client.post(reverse("login"), {"username": "ada", "password": password})


def stored(user) -> str:
    return get_user_model().objects.get(pk=user.pk).password


def test_a_new_password_is_stored_with_argon2id_at_owasps_parameters():
    user = get_user_model().objects.create_user("ada", password=PASSWORD)
    assert stored(user).startswith(OWASP)


@pytest.mark.parametrize(
    "old_hasher",
    [
        "pbkdf2_sha256",  # every account made before this change
        "pbkdf2_sha1",
        "argon2",  # Django's own Argon2 parameters (m=102400, t=2, p=8)
    ],
)
def test_an_older_hash_is_replaced_at_the_next_sign_in(client, settings, old_hasher):
    if old_hasher == "argon2":
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    old = make_password(PASSWORD, hasher=old_hasher)
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = account_with(old)
    assert not stored(user).startswith(OWASP)

    answer = sign_in(client, PASSWORD)

    assert answer.status_code == 302  # signed in
    assert stored(user).startswith(OWASP)
    client.logout()
    assert sign_in(client, PASSWORD).status_code == 302  # the new hash works


def test_a_wrong_password_leaves_the_old_hash_alone(client):
    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user = account_with(old)

    answer = sign_in(client, "not the password")

    assert answer.status_code == 200
    assert "Please enter a correct username and password." in answer.content.decode()
    assert stored(user) == old
