"""Two sign-ups with the same e-mail address at the same moment: each form passed its
check before either account existed; exactly one account is created (PostgreSQL, real
threads on their own connections)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from game.operations.accounts import create_account
from game.pages.forms import SignupForm
from game.tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_sign_ups_with_one_address_create_one_account():
    User = get_user_model()
    for attempt in range(5):
        forms = [
            SignupForm(
                {
                    "username": f"twin{attempt}{n}",
                    "email": f"Same{attempt}@example.test" if n else f"same{attempt}@EXAMPLE.test",
                    "password1": "a long enough pass phrase",
                    "password2": "a long enough pass phrase",
                }
            )
            for n in range(2)
        ]
        assert all(form.is_valid() for form in forms)  # both checked before either saved

        outcomes = run_together(
            *(
                lambda form=form: create_account(
                    email=form.cleaned_data["email"],
                    refuse_if_taken=form.clean_email,
                    save=form.save,
                )
                for form in forms
            )
        )

        assert sorted(exc is None for _, exc in outcomes) == [False, True]
        [(_, refused)] = [(r, exc) for r, exc in outcomes if exc]
        assert isinstance(refused, ValidationError)
        assert "An account with this e-mail address already exists." in refused.messages[0]
        assert User.objects.filter(email__iexact=f"same{attempt}@example.test").count() == 1
