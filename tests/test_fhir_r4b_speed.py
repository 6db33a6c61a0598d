"""The R4B models' null check made once per class (weizhong/fhir/r4b_speed.py, issue 14's CDS
p95): the same refusals as fhir_core's own check, for every R4B class, and in force in a fresh
process that imports weizhong.fhir as the server does."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from typing import Any

import pytest
from fhir.resources import R4B
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import ValidationError

from weizhong.fhir import r4b_speed


def r4b_classes() -> list[type[Any]]:
    found: dict[str, type[Any]] = {}
    for module in pkgutil.iter_modules(R4B.__path__):
        if module.name.startswith(("tests", "fhirtypes")):
            continue
        loaded = importlib.import_module(f"{R4B.__name__}.{module.name}")
        for name, value in vars(loaded).items():
            if (
                inspect.isclass(value)
                and issubclass(value, FHIRAbstractModel)
                and value.__module__ == loaded.__name__
            ):
                found[f"{loaded.__name__}.{name}"] = value
    return list(found.values())


def outcome(check: Any, model: type[Any], data: Any) -> Any:
    try:
        return ("kept", check(model, data) is data)
    except ValidationError as error:
        return ("refused", [(e["type"], e["loc"], e["msg"]) for e in error.errors()])


def test_the_check_is_installed() -> None:
    assert r4b_speed.install()
    assert r4b_speed._ORIGINAL is not None
    installed = vars(FHIRAbstractModel)["reject_null_complex_elements"]
    assert installed.__func__ is r4b_speed._reject_null_complex_elements


def test_every_r4b_class_refuses_exactly_what_the_library_refuses() -> None:
    """For each class and each of its list fields (of complex elements or of primitives), a
    list holding a null, under its alias and under its name: the library's own check and this
    one agree (refused with the same errors, or kept)."""
    classes = r4b_classes()
    assert len(classes) > 500  # every resource, backbone element and data type
    compared = refused = 0
    for model in classes:
        for name, field in model.model_fields.items():
            for key in {field.alias or name, name}:
                for data in ({key: [None]}, {key: [{}, None]}, {key: [{}]}, {key: None}):
                    original = outcome(r4b_speed._ORIGINAL, model, data)
                    ours = outcome(r4b_speed._reject_null_complex_elements, model, data)
                    assert ours == original, (model.__name__, key, data)
                    compared += 1
                    refused += original[0] == "refused"
        assert outcome(r4b_speed._reject_null_complex_elements, model, "x") == ("kept", True)
    assert refused > 1000  # the comparison covered refusals, not only data that passes


def test_a_null_in_a_list_of_codings_is_still_refused() -> None:
    from fhir.resources.R4B.observation import Observation

    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}, None]},
    }
    with pytest.raises(ValidationError, match="None is not allowed as an element of coding"):
        Observation.model_validate(observation)


def test_in_force_in_a_fresh_process_for_the_models_weizhong_reads() -> None:
    """Pydantic takes a model's validators when the class is built: importing weizhong.fhir
    first (as the server does, through the CDS service) must leave the Observation model with
    this check."""
    program = (
        "from weizhong.fhir import import_bundle\n"
        "import_bundle({'resourceType': 'Bundle', 'type': 'collection', 'entry': [\n"
        "  {'resource': {'resourceType': 'Patient', 'id': 'p'}},\n"
        "  {'resource': {'resourceType': 'Observation', 'status': 'final',\n"
        "                'code': {'coding': [{'system': 'http://loinc.org', 'code': 'x'}]}}}]},\n"
        "  lenient=True)\n"
        "from fhir.resources.R4B.observation import Observation\n"
        "from fhir.resources.R4B.codeableconcept import CodeableConcept\n"
        "from weizhong.fhir import r4b_speed\n"
        "assert Observation in r4b_speed._FIELDS, 'Observation was validated without it'\n"
        "assert CodeableConcept in r4b_speed._FIELDS, 'CodeableConcept was validated without it'\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
