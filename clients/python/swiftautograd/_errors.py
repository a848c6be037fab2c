"""The one exception of the client: an RFC 9457 problem the server answered."""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

#: What every problem ``type`` of this API starts with (docs/wire-format.md lists the kinds).
PROBLEM_TYPE_BASE = "https://swiftautograd.dev/problems/"


class ProblemError(Exception):
    """An error answer of the server, as RFC 9457 problem details.

    Attributes:
        status: the HTTP status (400, 422, 503, ...).
        title: the status's short description ("Unprocessable Content").
        type: the kind of problem, a stable URI to switch on
            (``PROBLEM_TYPE_BASE + "invalid-graph"``, ...; ``"about:blank"`` when the
            answer did not say, e.g. a proxy's error page).
        detail: what went wrong, in words.
        errors: each cause in the request body as ``(pointer, detail)``, the pointer an
            RFC 6901 JSON Pointer into the graph (``"/ops/0/inputs/1"``); empty when the
            problem is not about the body.
        id: the request id the server answered with (``X-Request-Id``), if any.
        headers: the answer's header fields, names in lower case.
    """

    def __init__(
        self,
        status: int,
        title: str,
        type: str = "about:blank",
        detail: str = "",
        errors: Sequence[tuple[str, str]] = (),
        id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.type = type
        self.detail = detail
        self.errors: list[tuple[str, str]] = list(errors)
        self.id = id
        self.headers: dict[str, str] = dict(headers or {})
        causes = "".join(f"\n  {pointer or '(the body)'}: {why}" for pointer, why in self.errors)
        super().__init__(f"{status} {title}: {detail}{causes}")

    @property
    def kind(self) -> str | None:
        """The last segment of an API problem type (``"invalid-graph"``), else None."""
        if self.type.startswith(PROBLEM_TYPE_BASE):
            return self.type[len(PROBLEM_TYPE_BASE):]
        return None

    @classmethod
    def from_answer(cls, status: int, reason: str, headers: Mapping[str, str], body: bytes) -> "ProblemError":
        """The problem an error answer holds; a body that is not a problem (an HTML page
        from a proxy) gives an ``about:blank`` problem with the start of the body as detail."""
        lower = {k.lower(): v for k, v in headers.items()}
        try:
            problem: Any = json.loads(body)
        except ValueError:
            problem = None
        if not isinstance(problem, dict):
            text = body[:500].decode("utf-8", "replace").strip()
            return cls(status, reason, detail=text, id=lower.get("x-request-id"), headers=lower)
        errors = [
            (str(e.get("pointer", "")), str(e.get("detail", "")))
            for e in problem.get("errors") or []
            if isinstance(e, dict)
        ]
        return cls(
            status=int(problem.get("status", status)),
            title=str(problem.get("title", reason)),
            type=str(problem.get("type", "about:blank")),
            detail=str(problem.get("detail", "")),
            errors=errors,
            id=problem.get("id") or lower.get("x-request-id"),
            headers=lower,
        )
