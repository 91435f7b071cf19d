"""``manage.py test`` runs tg's pytest suite, not Django's unittest discovery.

tg's tests are written for pytest (fixtures, markers): Django's own runner finds none
of them and reports "Ran 0 tests ... OK", a green that means nothing. This runner,
modelled on the one pytest-django documents, hands the work to pytest:

* labels pass through: pytest node ids and paths as they are
  (``oversight/tests/test_health_endpoints.py::test_health_refuses_other_methods``), and
  Django-style dotted labels are translated (``oversight.tests.test_health_endpoints`` →
  ``oversight/tests/test_health_endpoints.py``, a trailing ``.Class.method`` → ``::Class::method``);
* ``-k EXPRESSION`` (repeatable, joined with ``or``), ``--failfast``, ``--keepdb`` and
  ``--verbosity`` become pytest's ``-k``, ``--exitfirst``, ``--reuse-db`` and
  ``--quiet``/``--verbose``.

pytest runs in a child process with ``tg.settings.test`` (as ``pytest.ini`` says): this
process already loaded the settings ``manage.py`` chose, which Django cannot swap for
the test settings. Its exit status is the command's, so a failing test fails it.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_SETTINGS = "tg.settings.test"


def pytest_label(label: str, root: Path = ROOT) -> str:
    """A Django dotted test label as a pytest path or node id; anything else unchanged."""
    if "/" in label or "::" in label or label.endswith(".py") or Path(label).exists():
        return label
    parts = label.split(".")
    for cut in range(len(parts), 0, -1):
        base = root.joinpath(*parts[:cut])
        rest = parts[cut:]
        if base.with_suffix(".py").is_file():
            return "::".join([str(base.with_suffix(".py").relative_to(root)), *rest])
        if base.is_dir() and not rest:
            return str(base.relative_to(root))
    return label


class PytestTestRunner:
    """Runs pytest to discover and run the tests; returns its exit status."""

    def __init__(
        self,
        verbosity: int = 1,
        failfast: bool = False,
        keepdb: bool = False,
        test_name_patterns: list[str] | None = None,
        **kwargs,
    ):
        self.verbosity = verbosity
        self.failfast = failfast
        self.keepdb = keepdb
        self.patterns = test_name_patterns or []

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument(
            "--failfast", action="store_true", help="Stop at the first failing test."
        )
        parser.add_argument(
            "--keepdb", action="store_true", help="Keep the test database between runs."
        )
        parser.add_argument(
            "-k",
            action="append",
            dest="test_name_patterns",
            metavar="EXPRESSION",
            help="Only tests matching this pytest -k expression (repeatable: any of them).",
        )

    def pytest_args(self, test_labels) -> list[str]:
        argv = ["-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT)]
        if self.verbosity == 0:
            argv.append("--quiet")
        elif self.verbosity == 2:
            argv.append("--verbose")
        elif self.verbosity >= 3:
            argv.append("-vv")
        if self.failfast:
            argv.append("--exitfirst")
        if self.keepdb:
            argv.append("--reuse-db")
        if self.patterns:
            argv += ["-k", " or ".join(f"({pattern})" for pattern in self.patterns)]
        return argv + [pytest_label(label) for label in test_labels]

    def run_tests(self, test_labels, **kwargs) -> int:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": TEST_SETTINGS}
        command = [sys.executable, "-m", "pytest", *self.pytest_args(test_labels)]
        return subprocess.run(command, cwd=ROOT, env=env).returncode
