from django import forms

from notifications.models import NotificationPreferences


class NotificationPreferencesForm(forms.ModelForm):
    class Meta:
        model = NotificationPreferences
        fields = ["decisions", "digest"]
        labels = {
            "decisions": "E-mail me the storytellers' decisions on my XP requests and characters",
            "digest": "E-mail me a daily digest of what waits for me as a storyteller",
        }
