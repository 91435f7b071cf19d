"""tg installs on Python 3.11 and newer (Django 5.2 supports up to 3.13): pyproject.toml
and scripts/lib.sh agree, and refuse what is older."""

import shutil
import subprocess
import sys
import tomllib

import pytest

from tests.processes import ROOT

pytestmark = pytest.mark.once

# A "python3" that reports the given version to the check find_python runs (-c CODE).
PRETEND = (
    "#!/bin/sh\n"
    "exec {python} -c \"import sys; sys.version_info = ({major}, {minor}, 0, 'final', 0); "
    'exec(sys.argv[1])" "$2"\n'
)


def test_pyproject_accepts_3_11_and_newer_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert project["requires-python"] == ">=3.11"


@pytest.mark.process
@pytest.mark.parametrize(("version", "accepted"), [("3.10", False), ("3.11", True), ("3.13", True)])
def test_the_scripts_find_a_python_of_3_11_or_newer(tmp_path, version, accepted):
    """Only a ``python3`` of the given version on PATH: does find_python take it?"""
    major, minor = version.split(".")
    shim = tmp_path / "python3"
    shim.write_text(
        PRETEND.format(version=version, python=sys.executable, major=major, minor=minor)
    )
    shim.chmod(0o755)
    (tmp_path / "dirname").symlink_to(shutil.which("dirname"))  # lib.sh finds its root

    result = subprocess.run(
        ["/bin/bash", "-c", f"source {ROOT}/scripts/lib.sh && find_python"],
        env={"PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )

    if accepted:
        assert (result.returncode, result.stdout) == (0, "python3\n")
    else:
        assert result.returncode == 1
        assert result.stderr == (
            "error: Python 3.11 or newer is required (python3.11 or python3 on PATH)\n"
        )
