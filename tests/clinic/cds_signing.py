"""Signed CDS Hooks calls for the tests, as an EHR makes them: its key pairs (ES384 and RS384,
made once per run with ``cryptography``), a trusted-clients file naming them, and short-lived
tokens signed with PyJWT for one endpoint each."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client, override_settings
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ES_KEY = ec.generate_private_key(ec.SECP384R1())
RS_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISS = "https://ehr.example.test/cds-client"
NAME = "Example EHR"
SERVER = "http://testserver"  # the address Django's test client calls
HOOK = "/cds-services/weizhong-back-pain"
FEEDBACK = HOOK + "/feedback"
_FILES = Path(tempfile.mkdtemp(prefix="weizhong-cds-clients-"))


def public_pem(key: Any) -> str:
    return str(
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def jwks(*keys: tuple[str, Any]) -> dict[str, Any]:
    """A JWK Set of the public halves of ``(kid, private key)`` pairs."""
    out = []
    for kid, key in keys:
        algorithm = ECAlgorithm if isinstance(key, ec.EllipticCurvePrivateKey) else RSAAlgorithm
        jwk = json.loads(algorithm.to_jwk(key.public_key()))
        out.append({**jwk, "kid": kid, "use": "sig"})
    return {"keys": out}


def clients_file(
    fhir_servers: Sequence[str] = (), directory: Path | None = None, extra: str = ""
) -> Path:
    """A trusted-clients file naming the test EHR (its ES384 key in a JWK Set, its RS384 key
    inline as PEM) with ``fhir_servers``; ``extra`` is appended (another client)."""
    folder = directory or Path(tempfile.mkdtemp(dir=_FILES))
    (folder / "ehr.jwks.json").write_text(json.dumps(jwks(("es-1", ES_KEY))))
    servers = ", ".join(json.dumps(s) for s in fhir_servers)
    path = folder / "cds-clients.toml"
    path.write_text(
        f"""# the test EHR
[[client]]
iss = "{ISS}"
name = "{NAME}"
jwks = "ehr.jwks.json"
public_key = '''
{public_pem(RS_KEY)}'''
fhir_servers = [{servers}]
{extra}"""
    )
    return path


_TRUSTED: dict[tuple[str, ...], Path] = {}


@contextmanager
def trusted(fhir_servers: Sequence[str] = ()) -> Iterator[Path]:
    """The test EHR trusted (with ``fhir_servers``) for the duration."""
    key = tuple(fhir_servers)
    if key not in _TRUSTED:
        _TRUSTED[key] = clients_file(fhir_servers)
    with override_settings(WEIZHONG_CDS_CLIENTS=_TRUSTED[key]):
        yield _TRUSTED[key]


def token(
    path: str = HOOK,
    *,
    key: Any = ES_KEY,
    alg: str = "ES384",
    kid: str | None = "es-1",
    lifetime: int = 240,
    issued: float | None = None,
    **claims: Any,
) -> str:
    """A token as the test EHR signs it for ``path`` (claims may be overridden or, as None,
    left out)."""
    now = int(time.time() if issued is None else issued)
    payload = {
        "iss": ISS,
        "sub": "weizhong-test-client",
        "aud": SERVER + path,
        "iat": now,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    headers = {"typ": "JWT"} | ({"kid": kid} if kid else {})
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def signed_post(
    path: str,
    body: Any,
    *,
    fhir_servers: Sequence[str] = (),
    client: Client | None = None,
    bearer: str | None = None,
    base: str = SERVER,
) -> Any:
    """POST ``body`` to ``path`` as the trusted test EHR, with a fresh token for the endpoint
    at ``base`` (the clinic's address as the service sees it), or ``bearer``."""
    payload = body if isinstance(body, str) else json.dumps(body)
    with trusted(fhir_servers):
        return (client or Client()).post(
            path,
            payload,
            content_type="application/json",
            headers={"Authorization": f"Bearer {bearer or token(path, aud=base + path)}"},
        )
