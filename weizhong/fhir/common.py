"""What every exported resource is built with: stable ids, references, codeable concepts, the
R4B model check, and the bundle being filled."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource

from weizhong.fhir.codes import (
    ACT_CODE,
)

JSON = dict[str, Any]

DEFAULT_BASE_URL = "https://weizhong.example/fhir"
# A condition below the top one is exported when the assessment gives it more than this.
CONDITION_THRESHOLD = 0.30
_AMBULATORY = {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"}


# --------------------------------------------------------------------------- small helpers


def fhir_id(*parts: object) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) made of the parts; long ones keep a stable hash."""
    text = "-".join(str(p) for p in parts).replace("_", "-")
    text = "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "-" for c in text)
    if len(text) <= 64:
        return text
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{text[:51]}-{digest}"


def _ref(resource_type: str, resource_id: str, display: str | None = None) -> JSON:
    reference: JSON = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        reference["display"] = display
    return reference


def _concept(*codings: Mapping[str, str], text: str | None = None) -> JSON:
    concept: JSON = {"coding": [dict(c) for c in codings]} if codings else {}
    if text:
        concept["text"] = text
    return concept


def _category(system: str, code: str) -> JSON:
    return {"coding": [{"system": system, "code": code}]}


def _build(resource: JSON) -> Resource:
    """Check the resource with its R4B model (raises pydantic's ValidationError if invalid)."""
    model = get_fhir_model_class(resource["resourceType"])
    built = model.model_validate(resource)
    assert isinstance(built, Resource)
    return built


class _Bundle:
    """Collects the resources of one export."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.entries: list[JSON] = []

    def add(self, resource: JSON) -> None:
        url = f"{self.base_url}/{resource['resourceType']}/{resource['id']}"
        self.entries.append({"fullUrl": url, "resource": _build(resource)})

    def add_all(self, resources: Iterable[JSON]) -> None:
        for resource in resources:
            self.add(resource)
