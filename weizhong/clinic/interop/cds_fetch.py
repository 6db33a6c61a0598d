"""Fetching what the prefetch lacks from the EHR's FHIR server (CDS Hooks 2.0, "FHIR resource
access").

When the CDS client sends ``fhirServer`` (and usually ``fhirAuthorization``) but leaves a
prefetch key out, the service reads what that prefetch template names from the server itself:
``Patient/{id}`` and ``Observation?patient={id}`` (following ``next`` links on the same server,
a few pages at most).

- The bearer token of ``fhirAuthorization`` is used for this one request only, never stored, and
  not after it expires (``expires_in`` seconds from when the request arrived).
- Every call has a deadline (``FETCH_SECONDS`` for all of them together); a server that is slow,
  down, refuses the token or answers something that is not FHIR gives a :class:`FetchError` in
  words, and the service answers with cards from what it knows or a clear error, never a hang.
- Only ``http``/``https`` URLs; behind HTTPS (``WEIZHONG_HTTPS=1``) only ``https``.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings

from weizhong.clinic.interop.cds_clients import normalised_server

FETCH_SECONDS = 4.0  # for every call to the FHIR server of one hook request together
MAX_PAGES = 5  # of an Observation search
MAX_BYTES = 2_000_000  # of one answer


class FetchError(Exception):
    """The FHIR server could not give what was asked; the message says why, in words."""


@dataclass(frozen=True)
class FhirServer:
    """The EHR's FHIR server for one hook request: its base URL, the bearer token (or none),
    and the moment after which neither is used (the deadline, or the token's expiry)."""

    base: str
    token: str | None
    deadline: float  # time.monotonic()

    @classmethod
    def from_request(cls, body: dict[str, Any]) -> FhirServer | None:
        """The server named by a hook request, or None when it names none. Raises
        :class:`FetchError` when ``fhirServer`` or ``fhirAuthorization`` is unusable."""
        base = body.get("fhirServer")
        if base is None:
            return None
        if not isinstance(base, str) or not base:
            raise FetchError("fhirServer must be the FHIR server's base URL")
        parts = urllib.parse.urlsplit(base)
        allowed = ("https",) if settings.SECURE_SSL_REDIRECT else ("http", "https")
        if parts.scheme not in allowed or not parts.netloc:
            raise FetchError(f"fhirServer must be an {' or '.join(allowed)} URL")
        deadline = time.monotonic() + FETCH_SECONDS
        auth = body.get("fhirAuthorization")
        token = None
        if auth is not None:
            if not isinstance(auth, dict):
                raise FetchError("fhirAuthorization must be an object")
            token = auth.get("access_token")
            if not isinstance(token, str) or not token:
                raise FetchError("fhirAuthorization.access_token is required")
            if str(auth.get("token_type", "Bearer")).lower() != "bearer":
                raise FetchError("fhirAuthorization.token_type must be 'Bearer'")
            expires = auth.get("expires_in")
            if not isinstance(expires, int | float) or isinstance(expires, bool):
                raise FetchError("fhirAuthorization.expires_in (seconds) is required")
            if expires <= 0:
                raise FetchError("fhirAuthorization has expired (expires_in is not positive)")
            deadline = min(deadline, time.monotonic() + float(expires))
        return cls(base.rstrip("/"), token, deadline)

    def read(self, path: str) -> dict[str, Any]:
        """One FHIR resource from ``{base}/{path}`` (or an absolute URL on the same server)."""
        url = path if self.holds(path) else f"{self.base}/{path}"
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FetchError("the FHIR server took too long (or the access token expired)")
        headers = {"Accept": "application/fhir+json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=left) as response:
                data = response.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as error:
            raise FetchError(
                f"the FHIR server answered {error.code} to GET {_shown(url)}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise FetchError(f"the FHIR server could not be reached ({reason})") from None
        if len(data) > MAX_BYTES:
            raise FetchError(f"the FHIR server's answer to GET {_shown(url)} is too large")
        try:
            resource = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise FetchError(f"the FHIR server's answer to GET {_shown(url)} is not JSON") from None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise FetchError(f"the FHIR server's answer to GET {_shown(url)} is not a resource")
        return resource

    def holds(self, url: str) -> bool:
        """Whether ``url`` is an absolute URL on this server, under its base (the scheme and
        host in any case, the default port written or not)."""
        if "://" not in url:
            return False
        parts = urllib.parse.urlsplit(url)
        where = normalised_server(parts._replace(query="", fragment="").geturl())
        base = normalised_server(self.base)
        return where is not None and base is not None and where.startswith(base + "/")

    def patient(self, patient_id: str) -> dict[str, Any]:
        return self.read(f"Patient/{urllib.parse.quote(patient_id, safe='')}")

    def observations(self, patient_id: str) -> dict[str, Any]:
        """A searchset Bundle of the patient's Observations (every page, up to ``MAX_PAGES``)."""
        query = urllib.parse.urlencode({"patient": patient_id})
        page = self.read(f"Observation?{query}")
        entries = list(page.get("entry") or []) if page.get("resourceType") == "Bundle" else []
        if page.get("resourceType") != "Bundle":
            return page  # an OperationOutcome: the caller lists it as not read
        for _ in range(MAX_PAGES - 1):
            after = next(
                (
                    link.get("url")
                    for link in page.get("link") or []
                    if isinstance(link, dict) and link.get("relation") == "next"
                ),
                None,
            )
            if not isinstance(after, str) or not self.holds(after):
                break
            page = self.read(after)
            entries += page.get("entry") or []
        return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: the bearer token goes to the named server only."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _shown(url: str) -> str:
    return url if len(url) <= 120 else url[:119] + "…"
