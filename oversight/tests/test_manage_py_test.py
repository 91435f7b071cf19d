"""``python manage.py test`` runs the pytest suite and fails when a test fails: never
the "Ran 0 tests ... OK" of Django's own runner, which finds none of tg's tests."""

import pytest

from tests.processes import manage
from tg.test_runner import pytest_label

pytestmark = pytest.mark.once

TINY_SUITE = """
def test_arithmetic_still_works():
    assert 1 + 1 == 2


def test_this_one_fails():
    assert 1 + 1 == 3
"""


@pytest.fixture
def tiny_suite(tmp_path):
    path = tmp_path / "test_tiny.py"
    path.write_text(TINY_SUITE)
    return str(path)


@pytest.mark.process
def test_a_failing_test_makes_the_command_fail(tiny_suite):
    result = manage("test", tiny_suite)

    assert result.returncode == 1
    assert "1 failed, 1 passed" in result.stdout
    assert "Ran 0 tests" not in result.stdout + result.stderr


@pytest.mark.process
def test_k_is_passed_to_pytest(tiny_suite):
    result = manage("test", tiny_suite, "-k", "arithmetic")

    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 deselected" in result.stdout


@pytest.mark.process
def test_a_node_id_label_runs_that_test_only(tiny_suite):
    result = manage("test", f"{tiny_suite}::test_this_one_fails")

    assert result.returncode == 1
    assert "1 failed in" in result.stdout


@pytest.mark.process
def test_failfast_and_verbosity_are_translated(tiny_suite):
    result = manage("test", tiny_suite, "--failfast", "--verbosity", "2")

    assert result.returncode == 1
    assert "test_this_one_fails FAILED" in result.stdout
    assert "stopping after 1 failures" in result.stdout


@pytest.mark.process
def test_a_dotted_django_label_runs_the_real_test_it_names():
    label = "oversight.tests.test_manage_py_test.test_django_labels_become_pytest_paths"

    result = manage("test", label)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


@pytest.mark.parametrize(
    ("label", "path"),
    [
        ("core", "core"),
        ("oversight.tests", "oversight/tests"),
        ("oversight.tests.test_manage_py_test", "oversight/tests/test_manage_py_test.py"),
        (
            "oversight.tests.test_manage_py_test.test_k_is_passed_to_pytest",
            "oversight/tests/test_manage_py_test.py::test_k_is_passed_to_pytest",
        ),
        ("oversight/tests/test_manage_py_test.py", "oversight/tests/test_manage_py_test.py"),
        ("oversight/tests/x.py::Case::test", "oversight/tests/x.py::Case::test"),
    ],
)
def test_django_labels_become_pytest_paths(label, path):
    assert pytest_label(label) == path
