"""Prefetch missing, ``fhirServer`` given: the service reads the Patient and the Observations from
the EHR's FHIR server, with the bearer token of ``fhirAuthorization``, within a deadline.

The server here is a small FHIR server run in the test on 127.0.0.1 (never the network): it
answers ``Patient/{id}`` and ``Observation?patient={id}`` (in pages, with ``next`` links) only
with the right bearer token, and can be told to be slow or to fail. The hook is called as the
trusted test EHR, whose FHIR server this one is (``tests/clinic/cds_signing.py``); a server not
listed for the caller is never contacted (the test server counts every connection)."""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest

from weizhong.clinic.interop import cds_fetch

from .cds_signing import HOOK, signed_post
from .test_cds import check_card, prefetch_for, request_for
from .test_cds_trust import CAUDA_EQUINA

TOKEN = "secret-token-123"


class Fhir:
    """What the test server holds and how it behaves."""

    def __init__(self) -> None:
        prefetch = prefetch_for(CAUDA_EQUINA)
        self.patient: dict[str, Any] = prefetch["patient"]
        self.observations = [e["resource"] for e in prefetch["observations"]["entry"]]
        self.page_size = 10
        self.delay = 0.0
        self.fail: dict[str, int] = {}  # resource type → status to answer
        self.seen: list[tuple[str, str | None]] = []  # (path, Authorization)
        self.connections = 0  # every connection accepted, whatever was sent on it


@pytest.fixture
def fhir() -> Iterator[tuple[Fhir, str]]:
    state = Fhir()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            state.seen.append((self.path, self.headers.get("Authorization")))
            time.sleep(state.delay)
            parts = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parts.query)
            kind = parts.path.removeprefix("/fhir/").split("/")[0]
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self.answer(401, {"resourceType": "OperationOutcome", "issue": []})
            if kind in state.fail:
                return self.answer(state.fail[kind], {"resourceType": "OperationOutcome"})
            if parts.path == f"/fhir/Patient/{state.patient['id']}":
                return self.answer(200, state.patient)
            if parts.path == "/fhir/Observation":
                mine = [
                    o
                    for o in state.observations
                    if o["subject"]["reference"] == f"Patient/{query['patient'][0]}"
                ]
                start = int(query.get("_offset", ["0"])[0])
                page = mine[start : start + state.page_size]
                bundle: dict[str, Any] = {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "entry": [{"resource": o, "search": {"mode": "match"}} for o in page],
                    "link": [],
                }
                if start + state.page_size < len(mine):
                    after = urllib.parse.urlencode(
                        {"patient": query["patient"][0], "_offset": start + state.page_size}
                    )
                    base = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
                    bundle["link"].append(
                        {"relation": "next", "url": f"{base}/Observation?{after}"}
                    )
                return self.answer(200, bundle)
            return self.answer(404, {"resourceType": "OperationOutcome", "issue": []})

        def answer(self, status: int, body: Any) -> None:
            data = orjson.dumps(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    class Server(ThreadingHTTPServer):
        def verify_request(self, request: Any, client_address: Any) -> bool:
            state.connections += 1
            return True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/fhir"
    finally:
        server.shutdown()
        server.server_close()


def hook(base: str, prefetch: dict[str, Any] | None = None, **auth: Any) -> dict[str, Any]:
    body = request_for(prefetch)
    body["fhirServer"] = base
    body["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read patient/Observation.read",
        "subject": "weizhong",
        **auth,
    }
    return body


def call(body: dict[str, Any], trusted: list[str] | None = None) -> Any:
    """The hook, signed by the test EHR; its trusted FHIR servers are ``trusted`` (default: the
    ``fhirServer`` of the request, when it is an http URL)."""
    if trusted is None:
        named = str(body.get("fhirServer", ""))
        trusted = [named] if named.startswith("http") else []
    return signed_post(HOOK, body, fhir_servers=trusted)


def cards_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    response = call(body)
    assert response.status_code == 200, response.content[:400]
    cards: list[dict[str, Any]] = response.json()["cards"]
    for card in cards:
        check_card(card)
    return cards


def test_reads_patient_and_every_page_of_observations_with_the_token(
    db: Any, fhir: tuple[Fhir, str]
) -> None:
    state, base = fhir
    cards = cards_of(hook(base))
    assert cards[0]["indicator"] == "critical" and "cauda equina" in cards[0]["summary"].lower()
    paths = [path for path, _ in state.seen]
    assert paths[0] == f"/fhir/Patient/{state.patient['id']}"
    pages = [p for p in paths if p.startswith("/fhir/Observation")]
    assert len(pages) == -(-len(state.observations) // state.page_size) > 1
    assert all(auth == f"Bearer {TOKEN}" for _, auth in state.seen)


def test_only_the_missing_prefetch_key_is_fetched(db: Any, fhir: tuple[Fhir, str]) -> None:
    state, base = fhir
    prefetch = prefetch_for(CAUDA_EQUINA)
    del prefetch["observations"]
    cards_of(hook(base, prefetch))
    assert state.seen and all(p.startswith("/fhir/Observation") for p, _ in state.seen)


def test_another_patients_observation_on_the_server_is_not_used(
    db: Any, fhir: tuple[Fhir, str]
) -> None:
    state, base = fhir
    for observation in state.observations:
        if observation["id"].endswith(("saddle-anaesthesia", "bladder-dysfunction")):
            observation["status"] = "entered-in-error"
    cards = cards_of(hook(base))
    assert not [c for c in cards if c["indicator"] == "critical"]
    assert any("entered-in-error" in c["detail"] for c in cards)


def test_a_refused_token_is_a_clear_412(db: Any, fhir: tuple[Fhir, str]) -> None:
    _, base = fhir
    response = call(hook(base, access_token="wrong"))
    assert response.status_code == 412
    assert "answered 401" in response.json()["error"]


def test_an_expired_token_is_never_sent(db: Any, fhir: tuple[Fhir, str]) -> None:
    state, base = fhir
    response = call(hook(base, expires_in=0))
    assert response.status_code == 400
    assert "expired" in response.json()["error"]
    assert state.seen == []


@pytest.mark.parametrize(
    ("auth", "words"),
    [
        ({"access_token": ""}, "access_token"),
        ({"token_type": "MAC"}, "token_type"),
        ({"expires_in": "soon"}, "expires_in"),
    ],
)
def test_unusable_authorization_is_a_clear_400(
    db: Any, fhir: tuple[Fhir, str], auth: dict[str, Any], words: str
) -> None:
    _, base = fhir
    response = call(hook(base, **auth))
    assert response.status_code == 400 and words in response.json()["error"]


def test_a_failed_observation_search_still_answers_from_the_patient(
    db: Any, fhir: tuple[Fhir, str]
) -> None:
    state, base = fhir
    state.fail["Observation"] = 500
    cards = cards_of(hook(base))
    (card,) = cards
    assert card["indicator"] == "info" and "answered 500" in card["detail"]


def test_a_slow_server_gives_an_answer_not_a_hang(
    db: Any, fhir: tuple[Fhir, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, base = fhir
    monkeypatch.setattr(cds_fetch, "FETCH_SECONDS", 0.3)
    state.delay = 1.0
    started = time.monotonic()
    response = call(hook(base))
    assert time.monotonic() - started < 1.0 + 0.5
    assert response.status_code == 412
    assert "could not be reached" in response.json()["error"]


def test_the_token_expiring_before_the_deadline_ends_the_fetching(
    db: Any, fhir: tuple[Fhir, str]
) -> None:
    state, base = fhir
    state.delay = 0.4
    response = call(hook(base, expires_in=0.3))
    assert response.status_code == 412


def test_no_server_and_no_prefetch_is_still_412(db: Any) -> None:
    response = call(request_for(None))
    assert response.status_code == 412
    error = response.json()["error"]
    assert "prefetch.patient" in error
    assert "only a trusted CDS client" in error  # never a hint to send a server in dev mode


def test_a_server_that_is_not_http_is_refused(db: Any) -> None:
    response = call(hook("file:///etc/passwd"))
    assert response.status_code == 400 and "fhirServer" in response.json()["error"]


@pytest.mark.parametrize(
    "listed",
    [
        [],  # the client may name no FHIR server at all
        ["http://127.0.0.1:1/fhir"],  # another port
        ["{base}/r4"],  # another path on the same server
        ["https://{host}/fhir"],  # another scheme
    ],
)
def test_a_server_not_listed_for_the_client_is_never_contacted(
    db: Any, fhir: tuple[Fhir, str], listed: list[str]
) -> None:
    """The server-side request forgery of the review: a fhirServer the caller may not name is
    a 412 naming fhirServer, and no connection is ever opened to it."""
    state, base = fhir
    host = base.removeprefix("http://").removesuffix("/fhir")
    response = call(hook(base), trusted=[u.format(base=base, host=host) for u in listed])
    assert response.status_code == 412
    error = response.json()["error"]
    assert "fhirServer" in error and "not a FHIR server trusted for Example EHR" in error
    assert "prefetch.patient and prefetch.observations" in error
    assert state.connections == 0 and state.seen == []


def test_a_listed_server_matches_whatever_the_case_of_its_scheme_and_host_and_a_final_slash(
    db: Any, fhir: tuple[Fhir, str]
) -> None:
    state, base = fhir
    named = base.replace("http://127.0.0.1", "HTTP://127.0.0.1") + "/"
    cards = cards_of_trusting(hook(named), [base])
    assert cards[0]["indicator"] == "critical"
    assert state.seen


def cards_of_trusting(body: dict[str, Any], trusted: list[str]) -> list[dict[str, Any]]:
    response = call(body, trusted=trusted)
    assert response.status_code == 200, response.content[:400]
    return list(response.json()["cards"])


def test_an_untrusted_server_with_every_prefetch_given_is_simply_not_used(
    db: Any, fhir: tuple[Fhir, str]
) -> None:
    state, base = fhir
    cards = cards_of_trusting(hook(base, prefetch_for(CAUDA_EQUINA)), [])
    assert cards[0]["indicator"] == "critical"
    assert state.connections == 0


def test_development_mode_reads_the_prefetch_and_never_the_server(
    db: Any, fhir: tuple[Fhir, str], tmp_path: Any
) -> None:
    """No HTTPS and no trusted client (``make run``): no token is needed, and fhirServer is
    never read, whatever the request says."""
    from django.test import Client, override_settings

    state, base = fhir
    with override_settings(WEIZHONG_CDS_CLIENTS=tmp_path / "none.toml", SECURE_SSL_REDIRECT=False):
        missing = Client().post(HOOK, hook(base), content_type="application/json")
        given = Client().post(
            HOOK, hook(base, prefetch_for(CAUDA_EQUINA)), content_type="application/json"
        )
    assert missing.status_code == 412
    assert "fhirServer is not read in development mode" in missing.json()["error"]
    assert given.status_code == 200 and given.json()["cards"][0]["indicator"] == "critical"
    assert state.connections == 0
