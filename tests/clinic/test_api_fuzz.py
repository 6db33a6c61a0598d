"""Property-based fuzzing of the JSON API against its own OpenAPI schema (schemathesis): for any
input the schema allows, and many it does not, the API answers without a server error.

Bounded for CI: WEIZHONG_FUZZ_EXAMPLES examples per operation (default 25)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from weizhong.clinic.actions import do_create_api_token
from weizhong.site.wsgi import application

from .conftest import make_exam, make_plan, make_visit

EXAMPLES = int(os.environ.get("WEIZHONG_FUZZ_EXAMPLES", "25"))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Any:
    """Schemathesis calls the WSGI app directly, whose request signals would close the database
    connection in the middle of the test's transaction (PostgreSQL); Django's test client
    disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(clinician: Any, patient: Any) -> str:
    # A little real data, so that some generated ids (1, 2, …) reach real records.
    plan = make_plan(make_exam(patient, clinician), clinician)
    make_visit(patient, plan, clinician)
    return do_create_api_token(user=clinician, name="fuzz")[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.django_db
def test_no_server_errors(case: Any, token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
    )
