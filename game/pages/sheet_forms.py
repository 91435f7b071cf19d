"""Forms for the character pages; the trait fields are generated from the trait list."""

from typing import cast

from django import forms

from characters.models import Human
from characters.traits import ABILITIES, AGE, APPARENT_AGE, ATTRIBUTES, WILLPOWER, TraitSpec
from game.models import Chronicle


class DotPicker(forms.RadioSelect):
    """A rating as a row of radio buttons drawn as dots, each labelled for screen readers
    ("Strength 3 of 10")."""

    template_name = "characters/widgets/dot_picker.html"

    def __init__(self, spec: TraitSpec, *args, **kwargs):
        self.spec = spec
        super().__init__(*args, **kwargs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["spec"] = self.spec
        return context


def trait_choice_field(spec: TraitSpec) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=spec.label,
        choices=[(n, str(n)) for n in range(spec.minimum, spec.maximum + 1)],
        coerce=int,
        widget=DotPicker(spec),
    )


class NewCharacterForm(forms.Form):
    name = forms.CharField(max_length=100)
    concept = forms.CharField(max_length=200, required=False, help_text="In a few words.")
    chronicle = forms.ModelChoiceField(queryset=Chronicle.objects.none(), empty_label=None)

    def __init__(self, *args, chronicles=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["chronicle"]).queryset = chronicles


class SheetForm(forms.ModelForm):
    """Everything a player sets while the character is Unfinished.

    ``version`` is the version the page was rendered with: saving over a newer copy is
    refused ("changed since you opened it").
    """

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        # A hidden field: a bad value means a broken or tampered page, not a typo.
        error_messages={
            "required": "This page is incomplete: reload it and make your change again.",
            "invalid": "This page is incomplete: reload it and make your change again.",
        },
    )
    trait_specs = (*ATTRIBUTES, *ABILITIES, WILLPOWER)

    class Meta:
        model = Human
        fields = ["name", "concept", AGE.name, APPARENT_AGE.name]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for spec in self.trait_specs:
            self.fields[spec.name] = trait_choice_field(spec)
            self.initial.setdefault(spec.name, getattr(self.instance, spec.name))
        self.initial.setdefault("version", self.instance.version)

    @property
    def sheet_fields(self) -> list[str]:
        return [name for name in self.fields if name != "version"]

    def parts(self):
        """(part, [(group, [bound fields])]): the attributes by group, the abilities by
        group, then willpower under advantages."""
        result = []
        for part, specs in (("Attributes", ATTRIBUTES), ("Abilities", ABILITIES)):
            by_group: dict[str, list] = {}
            for spec in specs:
                by_group.setdefault(spec.group, []).append(self[spec.name])
            result.append(
                (part, [(group.capitalize(), fields) for group, fields in by_group.items()])
            )
        result.append(("Advantages", [("", [self[WILLPOWER.name]])]))
        return result


class VersionForm(forms.Form):
    """A status action's form: the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput)
