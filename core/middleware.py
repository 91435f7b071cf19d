"""Refusing input no page can store: control characters in a request.

PostgreSQL cannot store a NUL byte in text at all (the query fails), and no name, note,
reason or address in tg has a use for the other C0 control characters (U+0001–U+001F)
except tab, line feed and carriage return, which multi-line notes contain. A request
whose path, query string or posted form (names, values, file names) holds one is refused
here, once for every page, with a 400 page that says so: before any view, form or
django-axes sees it, so nothing is looked up, written or recorded.
"""

import re

from django.http import HttpRequest, HttpResponseBadRequest, UnreadablePostError
from django.template.loader import render_to_string

# C0 control characters but tab (\x09), line feed (\x0a) and carriage return (\x0d).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

REFUSED = (
    "The address of this page or a value sent with it contains a control character "
    "(such as a NUL byte), which tg does not accept in any name, note or address. "
    "Nothing was changed. Go back, remove it (it may have come with pasted text) and "
    "try again."
)


def has_control_character(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def _form_texts(request: HttpRequest):
    """Every name and value of the query string and of a posted form, as Django decoded them."""
    yield request.path_info
    for key, values in request.GET.lists():
        yield key
        yield from values
    if request.method != "POST":
        return
    try:
        posted = list(request.POST.lists())
        files = list(request.FILES.lists())
    except UnreadablePostError:
        # The client went away mid-body: Django treats the form as empty from here on,
        # as CsrfViewMiddleware does.
        return
    for key, values in posted:
        yield key
        yield from values
    for key, uploads in files:
        yield key
        yield from (upload.name or "" for upload in uploads)


class ControlCharacterMiddleware:
    """Answer 400 to a request whose path, query string or form holds a control character."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if any(has_control_character(text) for text in _form_texts(request)):
            # Rendered without the request, as Django renders its own 400s with it.
            return HttpResponseBadRequest(render_to_string("400.html", {"reason": REFUSED}))
        return self.get_response(request)
