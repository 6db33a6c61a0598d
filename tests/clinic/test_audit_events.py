"""Issue 12: audit event names are registered once and used through their constants."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from weizhong.clinic.audit import events as audit_events
from weizhong.clinic.audit.events import EVENTS, DuplicateEvent, EventRegistry

CLINIC = Path(__file__).resolve().parents[2] / "weizhong" / "clinic"


def test_an_event_id_or_name_registered_twice_is_refused() -> None:
    registry = EventRegistry()
    registry.register(1, "sign-in", "login", "signed in")
    with pytest.raises(DuplicateEvent, match="id 1"):
        registry.register(1, "sign-out", "logout", "signed out")
    with pytest.raises(DuplicateEvent, match="'sign-in' / 'login'"):
        registry.register(2, "sign-in", "login", "signed in again")
    assert len(registry) == 1


def test_every_registered_event_has_a_distinct_id_and_name() -> None:
    events = list(EVENTS)
    assert len({e.id for e in events}) == len({(e.action, e.what) for e in events}) == len(events)
    assert EVENTS.get("sign-in failed", "second factor") is audit_events.SECOND_FACTOR_FAILED


def _record_calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text())
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and ((isinstance(node.func, ast.Name) and node.func.id == "record")
             or (isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                 and ast.unparse(node.func.value) == "audit"))
    ]  # fmt: skip


@pytest.mark.parametrize(
    "path", sorted(CLINIC.rglob("*.py")), ids=lambda p: str(p.relative_to(CLINIC))
)
def test_audit_events_are_written_with_their_registered_constant(path: Path) -> None:
    """Renaming "second factor" once silently disabled nothing only by luck: the rate limit
    counts events by name, so every writer names them through the registry."""
    for call in _record_calls(path):
        free = [
            k.arg
            for k in call.keywords
            if k.arg in ("action", "what") and isinstance(k.value, ast.Constant)
        ]
        where = f"{path.name}:{call.lineno}"
        assert not free, f"{where} names its event with a free string ({', '.join(free)})"
        has_event = bool(call.args) or any(k.arg in ("action", "event") for k in call.keywords)
        assert has_event, f"{where} writes an audit event without naming it"
