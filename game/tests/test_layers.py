"""The layers hold in the code: page modules neither lock, nor open transactions, nor
save (every write is an operation in ``game.operations``), and each rule that issue 16
named as written several times exists once."""

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest
from django.conf import settings

from characters.models import ALLOWED_TRANSITIONS, Status, status_label
from core.ids import parse_id, parse_ids, parse_version
from game.permissions import PLAYER_MOVES, STORYTELLER_MOVES

ROOT = Path(settings.BASE_DIR)
PAGE_MODULES = sorted((ROOT / "game" / "pages").glob("*.py")) + [
    ROOT / "notifications" / "views.py",
    ROOT / "oversight" / "pages.py",
]
APP_SOURCES = [
    path
    for app in ("characters", "core", "game", "notifications", "oversight")
    for path in (ROOT / app).rglob("*.py")
    if "tests" not in path.parts and "migrations" not in path.parts
]


WRITES = {
    "select_for_update",
    "atomic",
    "save",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "delete",
}


def calls(path: Path) -> list[str]:
    """``name`` of every ``something.name(...)`` call in the module."""
    tree = ast.parse(path.read_text())
    return [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]


@pytest.mark.parametrize("path", PAGE_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_modules_neither_lock_nor_open_transactions_nor_save(path):
    found = [name for name in calls(path) if name in WRITES]

    assert found == [], f"{path.relative_to(ROOT)} writes: {found} (move it to game.operations)"


def test_the_detector_sees_a_write_in_a_page(tmp_path):
    page = tmp_path / "page.py"
    page.write_text(
        "def view(request, form):\n"
        "    with transaction.atomic():\n"
        "        Scene.objects.select_for_update().get(pk=1)\n"
        "        form.save()\n"
    )

    assert sorted(calls(page)) == ["atomic", "get", "save", "select_for_update"]


def definitions(pattern: str) -> list[str]:
    """Where a module-level or class-level ``def`` matching ``pattern`` is written."""
    found = []
    for path in APP_SOURCES:
        for match in re.finditer(rf"^\s*def ({pattern})\(", path.read_text(), re.M):
            found.append(f"{path.relative_to(ROOT)}:{match.group(1)}")
    return sorted(found)


def test_each_rule_is_written_once():
    assert definitions("is_own") == ["game/permissions.py:is_own"]  # the self-decision rule
    assert definitions(r"may_run_scene|_may_run") == ["game/permissions.py:may_run_scene"]
    assert definitions("scoped") == ["game/permissions.py:scoped"]
    assert definitions("storyteller_scope_q") == ["game/permissions.py:storyteller_scope_q"]
    assert definitions(r"parse_id|_int") == ["core/ids.py:parse_id"]
    assert definitions(r"_errors|error_text") == ["game/operations/errors.py:error_text"]
    assert definitions(r"_cell|csv_cell") == ["game/pages/common.py:csv_cell"]


def test_only_the_permission_module_asks_whether_someone_is_a_superuser():
    askers = [
        str(path.relative_to(ROOT))
        for path in APP_SOURCES
        if re.search(r"\bis_superuser\s*\(", code_only(path))
    ]

    assert askers == ["game/permissions.py"]


def test_the_self_decision_setting_is_read_in_one_place():
    readers = [
        str(path.relative_to(ROOT))
        for path in APP_SOURCES
        if "settings.TG_ALLOW_SELF_DECISIONS" in path.read_text()
    ]

    assert readers == ["game/permissions.py"]


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ("7", 7),
        (" 12 ", 12),
        ("²", None),
        ("-1", None),
        ("1e3", None),
        ("0", None),
        ("", None),
        (None, None),
        ("9" * 5000, None),
        ("1" * 18, int("1" * 18)),
        ("1" * 19, None),
        ("７", None),  # a full-width digit
    ],
)
def test_one_id_parser_for_every_page(posted, expected):
    assert parse_id(posted) == expected


def test_posted_lists_keep_the_ids_once_in_order():
    assert parse_ids(["3", "x", "²", "1", "3", "9" * 5000]) == [3, 1]


def test_a_broken_version_is_never_a_missing_one():
    assert parse_version(None) is None
    assert parse_version("") is None
    assert parse_version("4") == 4
    assert parse_version("0") == -1  # versions start at 1
    assert parse_version("abc") == -1
    assert parse_version("²") == -1


def test_every_role_move_is_one_the_state_machine_allows():
    machine = {(old, new) for old, targets in ALLOWED_TRANSITIONS.items() for new in targets}

    assert machine >= PLAYER_MOVES
    assert machine >= STORYTELLER_MOVES
    # The one move nobody is offered (see game.permissions): a submitted character's
    # player takes it back to Unfinished before retiring it.
    assert machine - PLAYER_MOVES - STORYTELLER_MOVES == {(Status.SUBMITTED, Status.RETIRED)}


def test_one_status_label():
    assert definitions(r"_label|_status_label|status_label") == [
        "characters/models/character.py:status_label"
    ]
    assert [status_label(s) for s in Status.values] == [
        "Unfinished",
        "Submitted",
        "Approved",
        "Retired",
        "Deceased",
    ]
    assert status_label("Zz") == "Zz"


def code_only(path: Path) -> str:
    """The module's code without its strings and comments (docstrings may name a
    pattern to warn against it)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return " ".join(
        token.string for token in tokens if token.type not in (tokenize.STRING, tokenize.COMMENT)
    )


def test_character_rows_are_locked_in_one_place():
    chain = re.compile(r"\b(?:Character|Human)\b[\w.()\s,=]*?\.\s*select_for_update\s*\(")
    lockers = sorted(
        str(path.relative_to(ROOT)) for path in APP_SOURCES if chain.search(code_only(path))
    )

    assert lockers == ["characters/locks.py"]


def test_ledger_entries_and_balances_are_written_by_operations_only():
    writes = re.compile(
        r"(?<!class )\bXPLedgerEntry\s*\(|\bXPLedgerEntry\s*\.\s*objects\s*\.\s*(?:bulk_)?create\b"
        r"|\.\s*update\s*\(\s*xp\s*="
    )
    writers = sorted(
        str(path.relative_to(ROOT)) for path in APP_SOURCES if writes.search(code_only(path))
    )

    assert writers == ["game/operations/ledger.py", "game/operations/xp.py"]
