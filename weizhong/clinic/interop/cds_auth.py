"""Who is calling the CDS Hooks service (CDS Hooks 2.0, "Trusting CDS Clients").

A CDS client sends ``Authorization: Bearer <JWT>``, signed with its private key. The service
accepts the call only when:

- the header's ``alg`` is ES384 or RS384 (``none``, shared-secret HMAC and every other algorithm
  are refused before any key is touched);
- ``iss`` is a client of the clinic's trusted-clients file (:mod:`.cds_clients`), and the
  signature verifies with one of that client's keys (the one named by ``kid``, or its inline
  PEM key) of the algorithm's type;
- ``aud`` is this endpoint's URL (the clinic's address, ``WEIZHONG_BASE_URL``, and the path),
  with or without a trailing slash; for the feedback endpoint the service's URL is accepted too;
- ``iss``, ``sub``, ``aud``, ``exp``, ``iat`` and ``jti`` are present; it has not expired, was
  not issued in the future (both with ``LEEWAY`` seconds of clock difference), and ``exp`` is at
  most five minutes after ``iat``;
- its ``jti`` has not been seen before from that issuer: the action ``do_note_cds_call`` keeps it
  in the database (shared by every server worker) until the token expires, and records the call
  in the audit trail under the client's name (never the token).

A refusal is 401 with ``WWW-Authenticate: Bearer`` and ``{"error": ...}`` saying what was wrong,
in words, without any key.

**Development mode**: without HTTPS (``WEIZHONG_HTTPS`` unset) and with no trusted client, calls
are answered without a token, so that ``make run``, the demo and the CDS Hooks sandbox work; the
service then never reads from ``fhirServer`` (every prefetch must be sent). Behind HTTPS, or as
soon as one client is trusted, every hook and feedback call needs a valid token.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from jwt.types import Options

from weizhong.clinic import actions
from weizhong.clinic.accounts.http import base_url
from weizhong.clinic.audit.trail import client_ip
from weizhong.clinic.interop.cds_clients import (
    ClientsFileError,
    PublicKey,
    TrustedClient,
    trusted_clients,
)

__all__ = ["Caller", "Refused", "authenticate", "development_mode", "verify"]

log = logging.getLogger(__name__)

ALGORITHMS: dict[str, type] = {"ES384": ec.EllipticCurvePublicKey, "RS384": rsa.RSAPublicKey}
LEEWAY = 30  # seconds of clock difference allowed between the EHR and this server
MAX_LIFETIME = 300  # exp at most five minutes after iat (the specification's recommendation)
MAX_JTI = 255
REQUIRED = ["iss", "sub", "aud", "exp", "iat", "jti"]
UNAUTHENTICATED = "unauthenticated (development mode)"


class Refused(Exception):
    """A token that is not accepted; the message says why, in words, without any key."""


@dataclass(frozen=True)
class Caller:
    """Who called: a trusted client, or nobody in particular (development mode)."""

    client: TrustedClient | None

    @property
    def name(self) -> str:
        return self.client.name if self.client else UNAUTHENTICATED

    def may_name(self, fhir_server: str) -> bool:
        """Whether the service may read from ``fhir_server`` for this caller: only a trusted
        client's own FHIR servers, never in development mode."""
        return self.client is not None and self.client.may_name(fhir_server)

    def untrusted_server(self, missing: list[str]) -> str:
        """Why a missing prefetch is not read from the request's ``fhirServer``, in words."""
        what = " and ".join(f"prefetch.{key}" for key in missing)
        if self.client is None:
            return (
                f"{what} is missing, and fhirServer is not read in development mode (no trusted "
                "CDS clients): send every prefetch"
            )
        return (
            f"{what} is missing, and fhirServer is not a FHIR server trusted for {self.name}: "
            "weizhong reads only from the servers listed for it in the clinic's CDS clients file"
        )


def development_mode(clients: dict[str, TrustedClient] | None = None) -> bool:
    """Whether calls are answered without a token: no HTTPS and no trusted client."""
    if bool(getattr(settings, "SECURE_SSL_REDIRECT", False)):
        return False
    return not (trusted_clients() if clients is None else clients)


def audiences(request: HttpRequest, service_id: str, *, feedback: bool) -> list[str]:
    """The ``aud`` values accepted for this request: the endpoint's URL as the clinic publishes
    it, with and without a trailing slash (and the service's URL for its feedback endpoint)."""
    service = f"{base_url(request)}/cds-services/{service_id}"
    urls = [f"{service}/feedback", service] if feedback else [service]
    return [variant for url in urls for variant in (url, url + "/")]


def authenticate(request: HttpRequest, service_id: str, *, feedback: bool) -> Caller | HttpResponse:
    """The caller of a hook or feedback request, or the 401 (or 503) that refuses it. An
    accepted token's ``jti`` is noted (and the call recorded) before the answer is computed."""
    try:
        clients = trusted_clients()
    except ClientsFileError as error:
        log.error("CDS Hooks: the trusted clients file cannot be used: %s", error)
        return _json(
            {
                "error": "the CDS service is not configured correctly; the clinic's "
                "administrator finds why in the server's log"
            },
            503,
        )
    if development_mode(clients):
        return Caller(None)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _refusal(
            "no bearer token: a CDS client must send Authorization: Bearer <JWT>, signed with "
            "its private key",
            missing=True,
        )
    try:
        client, claims = verify(
            token.strip(), clients, audiences(request, service_id, feedback=feedback)
        )
    except Refused as refused:
        log.warning("CDS Hooks: a call was refused: %s", refused)
        return _refusal(str(refused))
    first_use = actions.do_note_cds_call(
        client=client.name,
        iss=client.iss,
        jti=str(claims["jti"]),
        expires=dt.datetime.fromtimestamp(int(claims["exp"]) + LEEWAY, dt.UTC),
        ip=client_ip(request),
        path=request.path,
    )
    if not first_use:
        log.warning("CDS Hooks: a replayed token from %s was refused", client.name)
        return _refusal("replayed: this token (its jti) has been used before; sign a new one")
    return Caller(client)


def verify(
    token: str,
    clients: dict[str, TrustedClient],
    audience: list[str],
) -> tuple[TrustedClient, dict[str, Any]]:
    """The trusted client that signed ``token`` and its claims; raises :class:`Refused`. Pure:
    no database (the ``jti`` is checked against those seen by :func:`authenticate`)."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.DecodeError:
        raise Refused("the bearer token is not a JWT") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise Refused(
            f"the token is signed with {str(alg)[:20]!r}; weizhong accepts only ES384 or RS384 "
            "(never none or a shared secret)"
        )
    iss = unverified.get("iss")
    if not isinstance(iss, str) or not iss:
        raise Refused("the token has no iss (issuer)")
    client = clients.get(iss)
    if client is None:
        raise Refused(f"unknown issuer {iss[:100]!r}: not a CDS client this clinic trusts")
    kid = header.get("kid")
    keys = [
        key
        for key_id, key in client.keys
        if (key_id is None or key_id == kid) and isinstance(key, ALGORITHMS[alg])
    ]
    if not keys:
        raise Refused(f"no {alg} key of {client.name} has the token's kid {str(kid)[:60]!r}")
    for key in keys:
        try:
            claims = _decoded(token, key, alg, audience)
        except jwt.InvalidSignatureError:
            continue
        break
    else:
        raise Refused(f"bad signature: the token was not signed with a key of {client.name}")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Refused("the token's sub (the client's id) must be text")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
        raise Refused(f"the token's jti must be text of 1 to {MAX_JTI} characters")
    if int(claims["exp"]) - int(claims["iat"]) > MAX_LIFETIME:
        raise Refused("the token lives too long: exp is more than 5 minutes after iat")
    return client, claims


def _decoded(token: str, key: PublicKey, alg: str, audience: list[str]) -> dict[str, Any]:
    options: Options = {"require": REQUIRED}
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[alg], audience=audience, leeway=LEEWAY, options=options
        )
        return claims
    except jwt.InvalidSignatureError:
        raise
    except jwt.ExpiredSignatureError:
        raise Refused("expired: the token's exp has passed; sign a new one") from None
    except jwt.InvalidAudienceError:
        raise Refused(f"wrong audience: the token's aud must be {audience[0]}") from None
    except jwt.MissingRequiredClaimError as error:
        raise Refused(f"the token lacks the claim {error.claim!r}") from None
    except jwt.ImmatureSignatureError:
        raise Refused("the token is issued in the future (iat); check the EHR's clock") from None
    except jwt.InvalidTokenError as error:
        raise Refused(f"the token is not valid ({_said(error)})") from None


def _said(error: Exception) -> str:
    return str(error)[:120] or type(error).__name__


def _json(data: Any, status: int) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


def _refusal(message: str, *, missing: bool = False) -> HttpResponse:
    response = _json({"error": message}, 401)
    if missing:  # RFC 6750 section 3.1: no error code when no token was sent
        response["WWW-Authenticate"] = 'Bearer realm="weizhong CDS Hooks"'
    else:
        description = message.replace('"', "'").encode("ascii", "replace").decode()
        response["WWW-Authenticate"] = (
            f'Bearer realm="weizhong CDS Hooks", error="invalid_token", '
            f'error_description="{description}"'
        )
    return response
