"""Test support shared by every app's tests (not collected: pytest.ini's testpaths are the apps).

``tests.browser`` holds the browser-test fixtures and helpers; the root ``conftest.py``
registers it as a plugin.
"""


def password_for(username: str) -> str:
    """The password of every persona made by conftest's ``make_user``."""
    return f"pw-{username}"
