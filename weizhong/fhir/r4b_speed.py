"""Speed (issue 14, CDS p95): the R4B models' check for nulls in lists, with its field list made
once per class instead of once per element validated.

Every R4B element (the Observation, each of its codings, references, quantities…) runs fhir_core's
``FHIRAbstractModel.reject_null_complex_elements`` before it is validated: a null inside a list
of complex elements has no meaning in FHIR and is refused. To find those lists the library walks
every field of the element's class and inspects its type annotation, for every element of every
resource: about a third of the time of validating an Observation, the largest single cost of
a CDS call. Which fields are lists of complex elements is fixed for a class, so here they are
listed once per class (:func:`complex_list_fields`) and the check itself is unchanged: a request
with a null in such a list goes to the library's own check, which refuses it with its own error.

Pydantic takes a model's validators when the model class is built, so :func:`install` must run
before the first R4B model class is made: ``weizhong.fhir`` imports this module before anything
else of fhir.resources. If fhir_core no longer has the check in this form, nothing is changed
(the models are then as fast as the library makes them, and as strict).
"""

from __future__ import annotations

from typing import Any

from fhir_core import fhirabstractmodel
from fhir_core.utils import is_list_type, is_primitive_type

__all__ = ["complex_list_fields", "install"]

_NAME = "reject_null_complex_elements"
_ORIGINAL: Any = getattr(fhirabstractmodel.FHIRAbstractModel.__dict__.get(_NAME), "__func__", None)


_FIELDS: dict[type[Any], tuple[tuple[str | None, str], ...]] = {}


def complex_list_fields(model: type[Any]) -> tuple[tuple[str | None, str], ...]:
    """``(alias, name)`` of each field of ``model`` whose value is a list of complex elements,
    chosen exactly as the library's check chooses them; listed once per class."""
    fields = _FIELDS.get(model)
    if fields is None:
        fields = _FIELDS[model] = tuple(
            (field.alias, name)
            for name, field in model.model_fields.items()
            if is_list_type(field) and not is_primitive_type(field) and not name.endswith("__ext")
        )
    return fields


def _reject_null_complex_elements(cls: type[Any], data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    for alias, name in complex_list_fields(cls):
        value = data.get(alias if alias and alias in data else name)
        if isinstance(value, list) and any(item is None for item in value):
            return _ORIGINAL(cls, data)  # refused by the library itself, with its own error
    return data


def install() -> bool:
    """Put the check in place on fhir_core's base model; False (and nothing changed) when the
    library's check is not the one this module was written for."""
    base = fhirabstractmodel.FHIRAbstractModel
    if _ORIGINAL is None or not callable(_ORIGINAL):
        return False
    if getattr(base.__dict__.get(_NAME), "__func__", None) is _reject_null_complex_elements:
        return True
    setattr(base, _NAME, classmethod(_reject_null_complex_elements))
    return True


install()
