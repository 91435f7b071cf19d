"""Build the POST data of an admin change form the way a browser would submit it."""

from django.forms import MultiWidget


def _encode(data: dict, name: str, field, value) -> None:
    """Put one form value into ``data`` as the browser would (checkboxes, split widgets)."""
    data.pop(name, None)
    if isinstance(field.widget, MultiWidget):
        parts = value if isinstance(value, list | tuple) else field.widget.decompress(value)
        for index, part in enumerate(parts):
            data[f"{name}_{index}"] = "" if part is None else str(part)
    elif isinstance(value, bool):
        if value:
            data[name] = "on"
    elif isinstance(value, list | tuple):
        data[name] = [str(v) for v in value]
    else:
        data[name] = "" if value is None else str(value)


def change_form_data(client, url: str, **changes) -> dict:
    """The admin form at ``url`` as currently filled in, with ``changes`` applied.

    Disabled (locked) fields are left out, as a browser leaves them out, unless
    ``changes`` names them explicitly (to show that the server ignores them).
    """
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        if not field.disabled:
            _encode(data, name, field, form[name].value())
    for name, value in changes.items():
        _encode(data, name, form.fields[name], value)
    return data
