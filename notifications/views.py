"""The notification settings of the account page (the form is shown by ``account``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from notifications.preferences import save_preferences


@login_required
@require_POST
def preferences(request):
    """Save the signed-in person's notification settings (their row is created now if
    they had none) and go back to the account page."""
    form = save_preferences(user=request.user, data=request.POST)
    if form.is_valid():
        saved = form.instance
        chosen = [
            label
            for on, label in ((saved.decisions, "decisions"), (saved.digest, "daily digest"))
            if on
        ]
        messages.success(
            request,
            "Notification settings saved: "
            + (f"you get e-mail for {' and '.join(chosen)}." if chosen else "no e-mail."),
        )
    else:
        messages.error(request, "The settings could not be saved; nothing changed.")
    return redirect("account")
