"""The CDS Hooks service trusts only the clinic's CDS clients (the security review of December
2026): a hook or feedback call needs a JWT signed by a trusted EHR, for this endpoint, short-lived
and used once; anything else is 401 saying why. Keys are made in the test (ES384 and RS384,
``tests/clinic/cds_signing.py``) and the trusted-clients file is written to a temporary folder."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core import checks
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weizhong.clinic.audit.events import CDS_CALL, CDS_FEEDBACK
from weizhong.clinic.interop import cds_auth
from weizhong.clinic.interop.cds_clients import ClientsFileError, load_clients, normalised_server
from weizhong.clinic.models import AuditEvent, CdsTokenUse

from .cds_signing import (
    ES_KEY,
    FEEDBACK,
    HOOK,
    ISS,
    NAME,
    RS_KEY,
    SERVER,
    clients_file,
    jwks,
    public_pem,
    signed_post,
    token,
    trusted,
)
from .conftest import runner_findings
from .test_cds import prefetch_for, request_for

OTHER_ES_KEY = ec.generate_private_key(ec.SECP384R1())


def body() -> dict[str, Any]:
    return request_for(prefetch_for(runner_findings()))


def post(bearer: str | None, path: str = HOOK, data: Any = None) -> Any:
    """A call with exactly this Authorization (None: none at all), the test EHR trusted."""
    headers = {} if bearer is None else {"Authorization": bearer}
    with trusted():
        return Client().post(
            path, json.dumps(data or body()), content_type="application/json", headers=headers
        )


def refused(response: Any, words: str) -> None:
    assert response.status_code == 401, response.content[:300]
    assert words in response.json()["error"], response.json()
    assert response["WWW-Authenticate"].startswith('Bearer realm="weizhong CDS Hooks"')


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISS, "sub": "ehr", "aud": SERVER + HOOK, "iat": now, "exp": now + 60}
    return {**base, "jti": str(uuid.uuid4()), **changes}


# --- accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "alg", "kid"), [(ES_KEY, "ES384", "es-1"), (RS_KEY, "RS384", "any-kid")]
)
def test_a_token_of_a_trusted_client_gets_the_cards(db: Any, key: Any, alg: str, kid: str) -> None:
    response = post(f"Bearer {token(key=key, alg=alg, kid=kid)}")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["cards"]


@pytest.mark.parametrize("aud", [SERVER + HOOK + "/", [SERVER + HOOK, "https://elsewhere.example"]])
def test_the_audience_may_end_with_a_slash_or_be_a_list_holding_it(db: Any, aud: Any) -> None:
    assert post(f"Bearer {token(aud=aud)}").status_code == 200


def test_the_call_is_recorded_under_the_clients_name_and_never_the_token(db: Any) -> None:
    sent = token()
    assert post(f"Bearer {sent}").status_code == 200
    (event,) = AuditEvent.objects.filter(action=CDS_CALL.action, what=CDS_CALL.what)
    assert event.username == NAME and event.role == "ehr" and ISS in event.reason
    assert all(sent not in str(v) and sent[-20:] not in str(v) for v in event.content().values())
    assert CdsTokenUse.objects.filter(iss=ISS).count() == 1


# --- refused --------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_no_bearer_token_is_401_asking_for_one(db: Any, header: str | None) -> None:
    response = post(header)
    refused(response, "no bearer token")
    assert "error=" not in response["WWW-Authenticate"]  # RFC 6750: no code without a token


def test_something_that_is_not_a_jwt_is_refused(db: Any) -> None:
    refused(post("Bearer not.a.jwt"), "not a JWT")


def test_an_unknown_issuer_is_refused(db: Any) -> None:
    refused(post(f"Bearer {token(iss='https://stranger.example')}"), "unknown issuer")


def test_a_token_signed_with_another_key_is_refused(db: Any) -> None:
    refused(post(f"Bearer {token(key=OTHER_ES_KEY)}"), "bad signature")


def test_a_key_id_the_client_does_not_have_is_refused(db: Any) -> None:
    # The client's only ES384 key is in its JWK Set as es-1 (its PEM key is RSA).
    refused(post(f"Bearer {token(kid='es-2')}"), "no ES384 key of Example EHR")


def test_alg_none_is_refused(db: Any) -> None:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{header}.{b64(json.dumps(claims()).encode())}."
    refused(post(f"Bearer {unsigned}"), "'none'")


@pytest.mark.parametrize("secret", [public_pem(RS_KEY), public_pem(ES_KEY)])
def test_hs256_signed_with_the_public_key_as_secret_is_refused(db: Any, secret: str) -> None:
    """The classic algorithm-confusion attack: the public key is public, so a service that
    verified HS256 with it would accept anyone's token."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims()).encode())
    mac = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    refused(post(f"Bearer {header}.{payload}.{b64(mac)}"), "'HS256'")


def test_an_es384_signature_under_an_rs384_header_is_refused(db: Any) -> None:
    """The header's algorithm picks the key type: an EC signature is never checked as RSA."""
    _, payload, signature = token(key=ES_KEY, alg="ES384").split(".")
    header = b64(json.dumps({"alg": "RS384", "kid": "es-1", "typ": "JWT"}).encode())
    refused(post(f"Bearer {header}.{payload}.{signature}"), "bad signature")


def test_an_rs384_token_of_another_key_is_refused(db: Any) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused(post(f"Bearer {token(key=stranger, alg='RS384')}"), "bad signature")


def test_an_expired_token_is_refused(db: Any) -> None:
    refused(post(f"Bearer {token(issued=time.time() - 400, lifetime=240)}"), "expired")


def test_a_token_living_more_than_five_minutes_is_refused(db: Any) -> None:
    refused(post(f"Bearer {token(lifetime=301 + cds_auth.LEEWAY)}"), "more than 5 minutes")
    assert post(f"Bearer {token(lifetime=300)}").status_code == 200


def test_a_token_issued_in_the_future_is_refused(db: Any) -> None:
    refused(post(f"Bearer {token(issued=time.time() + 600)}"), "in the future")


@pytest.mark.parametrize(
    "aud",
    [
        "https://another-service.example/cds-services/weizhong-back-pain",
        SERVER + "/cds-services/another",
        SERVER + FEEDBACK,  # a feedback token is not a hook token
    ],
)
def test_a_token_for_another_audience_is_refused(db: Any, aud: str) -> None:
    response = post(f"Bearer {token(aud=aud)}")
    refused(response, "wrong audience")
    assert SERVER + HOOK in response.json()["error"]


@pytest.mark.parametrize("claim", ["jti", "exp", "iat", "sub", "aud"])
def test_a_token_lacking_a_required_claim_is_refused(db: Any, claim: str) -> None:
    refused(post(f"Bearer {token(**{claim: None})}"), claim)


def test_a_replayed_token_is_refused_the_second_time(db: Any) -> None:
    sent = token()
    assert post(f"Bearer {sent}").status_code == 200
    refused(post(f"Bearer {sent}"), "replayed")
    assert AuditEvent.objects.filter(action=CDS_CALL.action).count() == 1


def test_the_same_jti_from_another_trusted_issuer_is_not_a_replay(db: Any, tmp_path: Path) -> None:
    other = f"""
[[client]]
iss = "https://second-ehr.example"
name = "Second EHR"
public_key = '''
{public_pem(OTHER_ES_KEY)}'''
"""
    path = clients_file(directory=tmp_path, extra=other)
    jti = str(uuid.uuid4())
    first = token(jti=jti)
    second = token(jti=jti, key=OTHER_ES_KEY, iss="https://second-ehr.example", kid=None)
    with override_settings(WEIZHONG_CDS_CLIENTS=path):
        for sent in (first, second):
            response = Client().post(
                HOOK,
                json.dumps(body()),
                content_type="application/json",
                headers={"Authorization": f"Bearer {sent}"},
            )
            assert response.status_code == 200, response.content[:300]
    names = set(AuditEvent.objects.filter(action=CDS_CALL.action).values_list("username", flat=1))
    assert names == {NAME, "Second EHR"}


def test_behind_https_with_no_trusted_client_every_call_is_401(db: Any, tmp_path: Path) -> None:
    with override_settings(
        SECURE_SSL_REDIRECT=True,
        WEIZHONG_BASE_URL="https://clinic.example.org",
        WEIZHONG_CDS_CLIENTS=tmp_path / "absent.toml",
    ):
        client = Client()
        hook = client.post(HOOK, json.dumps(body()), content_type="application/json", secure=True)
        feedback = client.post(
            FEEDBACK, json.dumps({"feedback": []}), content_type="application/json", secure=True
        )
        discovery = client.get("/cds-services", secure=True)
    refused(hook, "no bearer token")
    refused(feedback, "no bearer token")
    assert discovery.status_code == 200  # discovery stays open, as the specification allows
    assert "Development mode" not in discovery.content.decode()


def test_development_mode_answers_without_a_token_and_says_so(db: Any, tmp_path: Path) -> None:
    with override_settings(SECURE_SSL_REDIRECT=False, WEIZHONG_CDS_CLIENTS=tmp_path / "no.toml"):
        response = Client().post(HOOK, json.dumps(body()), content_type="application/json")
        discovery = Client().get("/cds-services").json()
    assert response.status_code == 200 and response.json()["cards"]
    assert "fhirServer is never read" in discovery["services"][0]["description"]
    assert not CdsTokenUse.objects.exists()


def test_with_a_trusted_client_discovery_is_open_and_says_nothing_of_development(db: Any) -> None:
    with trusted():
        discovery = Client().get("/cds-services").json()
    assert "Development mode" not in json.dumps(discovery)


def test_a_malformed_clients_file_answers_503_and_the_check_names_file_client_and_field(
    db: Any, tmp_path: Path
) -> None:
    path = tmp_path / "cds-clients.toml"
    path.write_text(
        '[[client]]\niss = "https://ehr.example"\nname = "Clinic EHR"\nfhir_server = []\n'
    )
    with override_settings(WEIZHONG_CDS_CLIENTS=path):
        response = post_raw(token())
        problems = [m for m in checks.run_checks() if m.id == "weizhong.E003"]
    assert response.status_code == 503
    assert str(tmp_path) not in response.content.decode()  # the caller learns nothing of it
    (problem,) = problems
    assert str(path) in problem.msg and "client 1 (Clinic EHR)" in problem.msg
    assert "'fhir_server'" in problem.msg


def post_raw(sent: str) -> Any:
    return Client().post(
        HOOK,
        json.dumps(body()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {sent}"},
    )


# --- the feedback endpoint ------------------------------------------------------------------


def feedback_body() -> dict[str, Any]:
    return {
        "feedback": [
            {
                "card": str(uuid.uuid4()),
                "outcome": "overridden",
                "overrideReason": {"userComment": "seen already"},
                "outcomeTimestamp": "2026-12-06T10:00:00+00:00",
            }
        ]
    }


@pytest.mark.parametrize("aud", [SERVER + FEEDBACK, SERVER + HOOK])
def test_feedback_from_a_trusted_client_is_recorded_under_its_name(db: Any, aud: str) -> None:
    response = post(f"Bearer {token(FEEDBACK, aud=aud)}", FEEDBACK, feedback_body())
    assert response.status_code == 200, response.content[:300]
    (event,) = AuditEvent.objects.filter(action=CDS_FEEDBACK.action, what=CDS_FEEDBACK.what)
    assert event.username == NAME


def test_feedback_without_a_valid_token_is_refused_and_nothing_recorded(db: Any) -> None:
    refused(post(None, FEEDBACK, feedback_body()), "no bearer token")
    refused(post(f"Bearer {token(FEEDBACK, key=OTHER_ES_KEY)}", FEEDBACK, feedback_body()), "bad")
    assert not AuditEvent.objects.filter(action=CDS_FEEDBACK.action).exists()


# --- the token check itself, without the database ------------------------------------------

CLIENTS = load_clients(clients_file())
AUDIENCE = [SERVER + HOOK, SERVER + HOOK + "/"]


def test_the_check_accepts_the_tokens_the_mutation_test_starts_from() -> None:
    for key, alg in ((ES_KEY, "ES384"), (RS_KEY, "RS384")):
        client, seen = cds_auth.verify(token(key=key, alg=alg), CLIENTS, AUDIENCE)
        assert client.name == NAME and seen["iss"] == ISS


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rsa_key=st.booleans(),
    part=st.sampled_from([1, 2]),  # the payload or the signature
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_token_whose_payload_or_signature_bytes_are_changed_is_refused(
    rsa_key: bool, part: int, where: float, mask: int
) -> None:
    key, alg = (RS_KEY, "RS384") if rsa_key else (ES_KEY, "ES384")
    pieces = token(key=key, alg=alg).split(".")
    raw = bytearray(base64.urlsafe_b64decode(pieces[part] + "=" * (-len(pieces[part]) % 4)))
    raw[int(where * len(raw))] ^= mask
    pieces[part] = b64(bytes(raw))
    with pytest.raises(cds_auth.Refused):
        cds_auth.verify(".".join(pieces), CLIENTS, AUDIENCE)


# --- the clients file -----------------------------------------------------------------------


def write(tmp_path: Path, text: str, jwk_set: dict[str, Any] | None = None) -> Path:
    if jwk_set is not None:
        (tmp_path / "keys.json").write_text(json.dumps(jwk_set))
    path = tmp_path / "clients.toml"
    path.write_text(text)
    return path


ENTRY = '[[client]]\niss = "https://ehr.example"\nname = "Clinic EHR"\n'


@pytest.mark.parametrize(
    ("text", "jwk_set", "words"),
    [
        ("[[client]\n", None, "not valid TOML"),
        ('[[client]]\niss = "x"\njwks = "keys.json"\n', None, "client 1: name"),
        (ENTRY + 'jwks = "keys.json"\nfhir_server = []\n', jwks(("a", ES_KEY)), "'fhir_server'"),
        (ENTRY, None, "client 1 (Clinic EHR): no key"),
        (ENTRY + 'jwks = "missing.json"\n', None, "missing.json cannot be read"),
        (ENTRY + 'jwks = "keys.json"\n', {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "'oct'"),
        (
            ENTRY + 'jwks = "keys.json"\n',
            {"keys": [{**jwks(("a", ES_KEY))["keys"][0], "d": "AAAA"}]},
            "private key",
        ),
        (
            ENTRY + 'jwks = "keys.json"\n',
            jwks(("p256", ec.generate_private_key(ec.SECP256R1()))),
            "P-384",
        ),
        (
            ENTRY + 'jwks = "keys.json"\n',
            jwks(("small", rsa.generate_private_key(public_exponent=65537, key_size=1024))),
            "2048 bits",
        ),
        (ENTRY + 'public_key = "not a key"\n', None, "public_key must be a PEM public key"),
        (
            ENTRY + 'jwks = "keys.json"\nfhir_servers = ["ftp://ehr.example/fhir"]\n',
            jwks(("a", ES_KEY)),
            "'ftp://ehr.example/fhir' is not an http or https base URL",
        ),
        (
            ENTRY + 'jwks = "keys.json"\n' + ENTRY + 'jwks = "keys.json"\n',
            jwks(("a", ES_KEY)),
            "client 2 (Clinic EHR): iss 'https://ehr.example' is already",
        ),
        ("[server]\nport = 1\n", None, "unknown table or key 'server'"),
    ],
)
def test_a_malformed_clients_file_names_the_file_the_client_and_the_field(
    tmp_path: Path, text: str, jwk_set: dict[str, Any] | None, words: str
) -> None:
    path = write(tmp_path, text, jwk_set)
    with pytest.raises(ClientsFileError) as error:
        load_clients(path)
    assert str(path) in str(error.value) and words in str(error.value)


def test_an_edited_clients_file_is_read_again(db: Any, tmp_path: Path) -> None:
    path = clients_file(directory=tmp_path)
    with override_settings(WEIZHONG_CDS_CLIENTS=path):
        assert post_raw(token()).status_code == 200
        path.write_text(path.read_text().replace(ISS, "https://renamed.example") + "\n")
        refused(post_raw(token()), "unknown issuer")


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://EHR.example/fhir/", "https://ehr.example:443/fhir"),
        ("HTTP://ehr.example:80/fhir", "http://ehr.example:80/fhir"),
        ("http://[::1]:8080/r4", "http://[::1]:8080/r4"),
        ("https://user@ehr.example/fhir", None),
        ("https://ehr.example/fhir?x=1", None),
        ("file:///etc/passwd", None),
        ("https://ehr.example:99999/fhir", None),
    ],
)
def test_fhir_servers_are_compared_by_scheme_host_port_and_path(
    url: str, normalised: str | None
) -> None:
    assert normalised_server(url) == normalised


def test_signed_post_helper_sends_a_fresh_token_each_time(db: Any) -> None:
    for _ in range(2):
        assert signed_post(HOOK, body()).status_code == 200
    assert CdsTokenUse.objects.count() == 2


# --- weizhong cds-token ---------------------------------------------------------------------


@pytest.mark.parametrize(("key", "alg"), [(ES_KEY, "ES384"), (RS_KEY, "RS384")])
def test_the_cds_token_command_signs_a_token_the_service_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: Any, alg: str
) -> None:
    from cryptography.hazmat.primitives import serialization

    from weizhong.cli import main

    pem = tmp_path / "ehr.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    argv = ["cds-token", "--key", str(pem), "--iss", ISS, "--aud", SERVER + HOOK, "--kid", "es-1"]
    assert main(argv) == 0
    printed = capsys.readouterr().out.strip()
    assert json.loads(base64.urlsafe_b64decode(printed.split(".")[0] + "=="))["alg"] == alg
    client, seen = cds_auth.verify(printed, CLIENTS, AUDIENCE)
    assert client.name == NAME and seen["exp"] - seen["iat"] == 60


def test_the_cds_token_command_refuses_a_weak_key_or_a_long_life(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives import serialization

    from weizhong.cli import main

    pem = tmp_path / "weak.pem"
    weak = ec.generate_private_key(ec.SECP256R1())
    pem.write_bytes(
        weak.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    assert main(["cds-token", "--key", str(pem), "--iss", ISS, "--aud", "x"]) == 2
    assert "P-384" in capsys.readouterr().err
    assert main(["cds-token", "--key", str(tmp_path / "none.pem"), "--iss", ISS, "--aud", "x"]) == 2
    strong = tmp_path / "strong.pem"
    strong.write_bytes(
        ES_KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    argv = ["cds-token", "--key", str(strong), "--iss", ISS, "--aud", "x", "--lifetime", "301"]
    assert main(argv) == 2
    assert "five minutes" in capsys.readouterr().err
