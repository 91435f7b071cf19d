"""Forms of the player pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    """A new account: username, e-mail (for password resets and notices), password twice."""

    email = forms.EmailField(
        help_text="For password resets and notices of your storytellers' decisions."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
