"""The CDS clients this clinic trusts (CDS Hooks 2.0, "Trusting CDS Clients"): a TOML file the
clinic owns, ``WEIZHONG_CDS_CLIENTS`` (default ``<data dir>/cds-clients.toml``; absent: none).

One ``[[client]]`` per EHR::

    [[client]]
    iss = "https://ehr.example.org"          # the token's issuer, exactly as the EHR signs it
    name = "Example EHR"                     # shown in the audit trail
    jwks = "ehr-example.jwks.json"           # its public keys: a JWK Set file, beside this one
    # public_key = '''-----BEGIN PUBLIC KEY----- …'''   # or one PEM public key, inline
    fhir_servers = ["https://ehr.example.org/fhir"]     # the fhirServer values it may name

Keys are EC P-384 (ES384) or RSA of at least 2048 bits (RS384); a symmetric key, a private key
or another curve is refused. Nothing is downloaded: the ``jku`` a token may carry is never
fetched (offline-first); the keys are the ones in this file.

A malformed file raises :class:`ClientsFileError` naming the file, the client and the field; the
system check ``weizhong.E003`` makes ``weizhong serve`` and ``weizhong manage check`` refuse to
start on it. The file is read again when it changes (its size or modification time), so a
clinic adds an EHR without restarting.
"""

from __future__ import annotations

import functools
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError

__all__ = [
    "ClientsFileError",
    "PublicKey",
    "TrustedClient",
    "load_clients",
    "normalised_server",
    "trusted_clients",
]

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
FIELDS = ("iss", "name", "jwks", "public_key", "fhir_servers")
MIN_RSA_BITS = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}


class ClientsFileError(ValueError):
    """The trusted-clients file cannot be used; the message names the file, client and field."""


@dataclass(frozen=True)
class TrustedClient:
    """One EHR this clinic trusts: its issuer, the name shown for it, its public keys (each with
    the ``kid`` its JWK Set gives it, or None for an inline PEM key) and the FHIR servers it
    may name, normalised by :func:`normalised_server`."""

    iss: str
    name: str
    keys: tuple[tuple[str | None, PublicKey], ...]
    fhir_servers: frozenset[str]

    def may_name(self, fhir_server: str) -> bool:
        """Whether this client may send ``fhir_server`` as ``fhirServer``: it is one listed for
        it (same scheme, host, port and path, a trailing slash aside)."""
        return normalised_server(fhir_server) in self.fhir_servers


def normalised_server(url: str) -> str | None:
    """A FHIR base URL as compared: lower-case scheme and host, the port always written, the
    path without a trailing slash; None for anything that is not a plain http(s) URL (a user,
    a query or a fragment in it, or a port out of range)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in DEFAULT_PORTS or not host or parts.username is not None:
        return None
    if parts.query or parts.fragment or "@" in parts.netloc:
        return None
    shown_host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown_host}:{port or DEFAULT_PORTS[scheme]}{parts.path.rstrip('/')}"


def trusted_clients() -> dict[str, TrustedClient]:
    """The trusted clients by issuer, from ``WEIZHONG_CDS_CLIENTS`` (none when the file does
    not exist). Raises :class:`ClientsFileError` when it exists and cannot be used."""
    path = Path(settings.WEIZHONG_CDS_CLIENTS)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ClientsFileError(f"{path}: cannot be read ({error.strerror})") from None
    return _cached(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int) -> dict[str, TrustedClient]:
    return load_clients(Path(path))


def load_clients(path: Path) -> dict[str, TrustedClient]:
    """Read and check a trusted-clients file; raises :class:`ClientsFileError`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ClientsFileError(f"{path}: cannot be read ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ClientsFileError(f"{path}: not valid TOML ({error})") from None
    extra = sorted(set(data) - {"client"})
    if extra:
        raise ClientsFileError(
            f"{path}: unknown table or key {extra[0]!r}; the file holds [[client]] entries only"
        )
    entries = data.get("client", [])
    if not isinstance(entries, list):
        raise ClientsFileError(f"{path}: 'client' must be a list of [[client]] tables")
    clients: dict[str, TrustedClient] = {}
    for number, entry in enumerate(entries, start=1):
        client = _client(path, number, entry)
        if client.iss in clients:
            raise ClientsFileError(
                f"{path}: client {number} ({client.name}): iss {client.iss!r} is already the "
                f"issuer of {clients[client.iss].name}; each EHR once"
            )
        clients[client.iss] = client
    return clients


def _client(path: Path, number: int, entry: Any) -> TrustedClient:
    where = f"{path}: client {number}"
    if not isinstance(entry, dict):
        raise ClientsFileError(f"{where}: must be a [[client]] table")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ClientsFileError(
            f"{where}: name (the EHR's name, shown in the audit trail) is needed"
        )
    where = f"{path}: client {number} ({name.strip()})"
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise ClientsFileError(
            f"{where}: unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}"
        )
    iss = entry.get("iss")
    if not isinstance(iss, str) or not iss.strip() or len(iss) > 255:
        raise ClientsFileError(f"{where}: iss (the issuer its tokens name, at most 255 characters)")
    keys: list[tuple[str | None, PublicKey]] = []
    if "jwks" in entry:
        keys += _jwks(path, where, entry["jwks"])
    if "public_key" in entry:
        keys.append((None, _pem(where, entry["public_key"])))
    if not keys:
        raise ClientsFileError(
            f"{where}: no key; give jwks (a JWK Set file) or public_key (a PEM public key)"
        )
    servers = entry.get("fhir_servers", [])
    if not isinstance(servers, list) or not all(isinstance(s, str) for s in servers):
        raise ClientsFileError(f"{where}: fhir_servers must be a list of base URLs")
    normalised = set()
    for server in servers:
        found = normalised_server(server)
        if found is None:
            raise ClientsFileError(
                f"{where}: fhir_servers: {server[:100]!r} is not an http or https base URL "
                "(no user, query or fragment)"
            )
        normalised.add(found)
    return TrustedClient(iss, name.strip(), tuple(keys), frozenset(normalised))


def _jwks(path: Path, where: str, value: Any) -> list[tuple[str | None, PublicKey]]:
    if not isinstance(value, str) or not value:
        raise ClientsFileError(f"{where}: jwks must be the path of a JWK Set file")
    file = (path.parent / value).resolve()
    try:
        data = orjson.loads(file.read_bytes())
    except OSError as error:
        raise ClientsFileError(f"{where}: jwks: {file} cannot be read ({error.strerror})") from None
    except orjson.JSONDecodeError:
        raise ClientsFileError(f"{where}: jwks: {file} is not JSON") from None
    jwks = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(jwks, list) or not jwks:
        raise ClientsFileError(f'{where}: jwks: {file} must be a JWK Set, {{"keys": [...]}}')
    keys: list[tuple[str | None, PublicKey]] = []
    for index, jwk in enumerate(jwks):
        at = f"{where}: jwks: {file}: key {index + 1}"
        if not isinstance(jwk, dict):
            raise ClientsFileError(f"{at} must be an object")
        kid = jwk.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise ClientsFileError(f"{at}: kid must be text")
        if "d" in jwk:
            raise ClientsFileError(f"{at} is a private key; put only the EHR's public key here")
        kty = jwk.get("kty")
        try:
            if kty == "EC":
                key: Any = ECAlgorithm.from_jwk(jwk)
            elif kty == "RSA":
                key = RSAAlgorithm.from_jwk(jwk)
            else:
                raise ClientsFileError(
                    f"{at}: kty {str(kty)[:20]!r} is not accepted; EC (P-384) or RSA public keys "
                    "only (never a shared secret)"
                )
        except (InvalidKeyError, ValueError, KeyError, TypeError) as error:
            if isinstance(error, ClientsFileError):
                raise
            raise ClientsFileError(f"{at} cannot be read as a public key") from None
        keys.append((kid, _checked(at, key)))
    return keys


def _pem(where: str, value: Any) -> PublicKey:
    if not isinstance(value, str) or "-----BEGIN PUBLIC KEY-----" not in value:
        raise ClientsFileError(f"{where}: public_key must be a PEM public key (BEGIN PUBLIC KEY)")
    try:
        key: Any = serialization.load_pem_public_key(value.strip().encode())
    except ValueError:
        raise ClientsFileError(f"{where}: public_key cannot be read as a PEM public key") from None
    return _checked(f"{where}: public_key", key)


def _checked(where: str, key: Any) -> PublicKey:
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP384R1):
            raise ClientsFileError(f"{where}: an EC key must be on the P-384 curve (ES384)")
        return key
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise ClientsFileError(f"{where}: an RSA key needs at least {MIN_RSA_BITS} bits")
        return key
    raise ClientsFileError(f"{where}: EC (P-384) or RSA public keys only")
