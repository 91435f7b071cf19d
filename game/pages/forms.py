"""Forms of the player pages."""

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    """A new account: username, password twice, and an e-mail address that becomes the
    account's once the link mailed to it is opened (game.operations.accounts). The form
    never says whether the address has an account already."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text="For password resets and notices of your storytellers' decisions. tg "
        "mails a link to it; it becomes your account's address once you open the link.",
    )

    field_order = ["username", "email", "password1", "password2"]

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)


class AddressForm(forms.Form):
    """A new e-mail address for one's account, confirmed by a mailed link; the current
    password first."""

    email = forms.EmailField(label="New e-mail address", max_length=254)
    password = forms.CharField(
        label="Your current password",
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ReportPeriodForm(forms.Form):
    """The period of the chronicle's XP report."""

    PERIODS = [("3", "Last 3 months"), ("6", "Last 6 months"), ("12", "Last 12 months")]
    PERIODS += [("24", "Last 24 months"), ("all", "Since the chronicle began")]

    months = forms.ChoiceField(label="Period", choices=PERIODS, initial="12", required=False)

    def chosen(self) -> str:
        """The period's value: the one asked for if valid, else 12 months."""
        return (self.cleaned_data.get("months") if self.is_valid() else None) or "12"

    def months_or_none(self) -> int | None:
        """The number of months chosen, None for all time."""
        chosen = self.chosen()
        return None if chosen == "all" else int(chosen)


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_username()


class AuditFilterForm(forms.Form):
    """The filters of a chronicle's audit page (all optional; GET)."""

    character: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every character"
    )
    person = PersonField(label="Who acted", queryset=None, required=False, empty_label="Anyone")
    kind = forms.ChoiceField(required=False)
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, characters, people, kinds):
        super().__init__(data)
        cast(forms.ModelChoiceField, self.fields["character"]).queryset = characters
        cast(forms.ModelChoiceField, self.fields["person"]).queryset = people
        cast(forms.ChoiceField, self.fields["kind"]).choices = [("", "Every kind"), *kinds]

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "“To” must not be before “From”.")
        return cleaned

    def filters(self):
        """The filters that are valid (an invalid one is shown as an error and ignored)."""
        from game.queries.audit import AuditFilters

        self.is_valid()
        data = self.cleaned_data
        character, person = data.get("character"), data.get("person")
        return AuditFilters(
            character_id=character.pk if character else None,
            person_id=person.pk if person else None,
            kind=data.get("kind") or None,
            start=data.get("start"),
            end=data.get("end") if "end" not in self.errors else None,
        )


class ChronicleStartForm(forms.Form):
    """A new chronicle: its name and, if wished, a line on what it is about."""

    name = forms.CharField(
        label="Name of the chronicle",
        max_length=200,
        help_text="What players see in their lists, e.g. “Chicago by Night”.",
    )
    description = forms.CharField(
        label="About it (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Setting, tone, when you play: shown on the chronicle's page.",
    )
