"""The API's OpenAPI document is a contract with its clients: it changes only on purpose.

The snapshot in ``fixtures/openapi.json`` was taken before the clinic was split into parts; a
move that renames an operation, drops a field or changes a response shows up here. After a
deliberate change, rewrite it with ``WEIZHONG_UPDATE_OPENAPI=1`` set while this test runs, and
say in the commit which keys changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).parent / "fixtures" / "openapi.json"


def _current() -> dict[str, Any]:
    from weizhong.clinic.api import api

    # Through JSON, as a client sees it (tuples become lists, keys strings).
    return json.loads(json.dumps(api.get_openapi_schema(), sort_keys=True))  # type: ignore[no-any-return]


def test_the_openapi_document_matches_its_snapshot() -> None:
    current = _current()
    if os.environ.get("WEIZHONG_UPDATE_OPENAPI") == "1":
        SNAPSHOT.write_text(
            json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        )
    expected = json.loads(SNAPSHOT.read_text())
    assert sorted(current["paths"]) == sorted(expected["paths"])
    for path, operations in expected["paths"].items():
        for method, operation in operations.items():
            got = current["paths"][path].get(method)
            assert got is not None, f"{method.upper()} {path} is gone"
            assert got["operationId"] == operation["operationId"], f"{method.upper()} {path}"
            assert got == operation, f"{method.upper()} {path} changed"
    assert current["components"] == expected["components"]
    assert current == expected
