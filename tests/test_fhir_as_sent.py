"""A resource sent exactly as its R4B model holds it is used as sent (no dump: the speed of
CDS Hooks); anything the model coerced or dropped is read from the model's dump, so the
importer always sees canonical FHIR JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from weizhong.fhir import export_bundle
from weizhong.fhir.import_common import _as_modelled

from .test_fhir import TIMESTAMP, runner_record

BASE = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}


def check(resource: dict[str, Any]) -> bool:
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    same = _as_modelled(resource, model)
    if same:  # whenever it says so, the dump is indeed the resource
        assert model.model_dump(mode="json", exclude_none=True) == resource
    return same


def test_every_exported_resource_is_used_as_sent() -> None:
    bundle = export_bundle(runner_record(), timestamp=TIMESTAMP)
    assert all(check(json.loads(json.dumps(e["resource"]))) for e in bundle["entry"])


@pytest.mark.parametrize(
    "extra",
    [
        {"valueInteger": "6"},
        {"valueInteger": 6.0},
        {"valueBoolean": "true"},
        {"valueBoolean": 1},
        {"valueQuantity": {"value": "34"}},
        {"code": {"text": "x", "coding": []}},
        {"note": []},
        {"valueQuantity": {}},
        {"method": None},
    ],
)
def test_a_coerced_or_empty_value_is_dumped(extra: dict[str, Any]) -> None:
    assert not check({**BASE, **extra})


@pytest.mark.parametrize(
    "extra",
    [
        {"valueInteger": 6},
        {"valueBoolean": False},
        {"valueQuantity": {"value": 34.5, "system": "http://unitsofmeasure.org", "code": "deg"}},
        {"valueString": " spaced "},
        {"_status": {"extension": [{"url": "https://x.example", "valueString": "y"}]}},
    ],
)
def test_a_value_as_the_model_holds_it_is_used_as_sent(extra: dict[str, Any]) -> None:
    assert check({**BASE, **extra})
