"""A property-based fuzz of the v20 surface (issue 11 item 7): schemathesis generates requests for every
operation of the v20 OpenAPI spec and sends them to a real ``leverlab serve``. Whatever is sent, the server
never answers 5xx, and a token never reads an account of another user (403, nothing of it in the body).

The spec is the one the server serves (``/v3/openapi.json`` or ``/openapi.json``); a server that serves
none is fuzzed with OANDA's published v20.yaml from the shared reference beside the project.
Bounded (``EXAMPLES`` requests, 1,500 by default: about 15 s) so it runs in well under two minutes.
"""

from __future__ import annotations

import os
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Served

EXAMPLES = int(os.environ.get("LEVERLAB_FUZZ_EXAMPLES", "1500"))
REFERENCE_SPEC = Path(__file__).resolve().parents[4] / "shared" / "reference" / "oanda-v20" / "v20.yaml"


def _spec(served: Served) -> dict[str, Any]:
    for path in ("/v3/openapi.json", "/openapi.json"):
        status, body = served.rest("GET", path, None)
        if status == 200 and isinstance(body, dict) and body.get("paths"):
            return body
    if not REFERENCE_SPEC.exists():
        pytest.fail(f"the server serves no OpenAPI spec and {REFERENCE_SPEC} is missing")
    return dict(yaml.safe_load(REFERENCE_SPEC.read_text()))


def _v3(spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The spec and the base URL suffix its paths need: v20.yaml's paths are relative to basePath /v3."""
    if "swagger" in spec:
        base = str(spec.get("basePath", "/v3"))
        spec = dict(spec, host="127.0.0.1", schemes=["http"])
        return spec, base
    return spec, ""


def test_fuzz_no_server_error_no_cross_account_read(served: Served) -> None:
    mine, token = served.create_account()
    theirs, their_token = served.create_account()  # another user: a fresh token each time
    assert token != their_token
    spec, prefix = _v3(_spec(served))
    schema = schemathesis.openapi.from_dict(spec)
    # the two streams never end by design: a plain call would wait for its timeout; the flows cover them
    operations = [op for op in (r.ok() for r in schema.get_all_operations()) if not op.path.endswith("/stream")]
    assert len(operations) >= 30, [f"{o.method} {o.path}" for o in operations]
    base_url = served.base + prefix

    @st.composite
    def requests(draw: st.DrawFn) -> tuple[Any, str, str]:
        op = draw(st.sampled_from(operations))
        case = draw(op.as_strategy())
        who = draw(st.sampled_from(["me", "me", "me", "me", "other-account", "no-token", "bad-token"]))
        if case.path_parameters and "accountID" in case.path_parameters:
            case.path_parameters["accountID"] = theirs if who == "other-account" else mine
        headers = dict(case.headers or {})
        headers.pop("Authorization", None)
        if who in ("me", "other-account"):
            headers["Authorization"] = f"Bearer {token}"
        elif who == "bad-token":
            headers["Authorization"] = "Bearer " + "0" * 32 + "-" + "0" * 32
        case.headers = headers
        return case, who, f"{op.method.upper()} {op.path}"

    seen: dict[int, int] = {}
    slow: list[tuple[float, str]] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(requests())
    def run(drawn: tuple[Any, str, str]) -> None:
        case, who, name = drawn
        t0 = time.monotonic()
        response = case.call(base_url=base_url, timeout=30)
        slow.append((time.monotonic() - t0, name))
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        where = f"{name} as {who}: {case.as_curl_command()} -> {response.status_code} {response.text[:500]}"
        assert response.status_code < 500, where
        if who in ("no-token", "bad-token"):
            assert response.status_code in (401, 404, 405), where
        if who == "other-account" and "accountID" in (case.path_parameters or {}):
            assert response.status_code in (400, 403, 404, 405, 413, 416), where
        else:  # the other user's account shows up nowhere: not in lists, not in transactions
            assert theirs not in response.text, where

    t0 = time.monotonic()
    run()
    print(f"fuzz: {len(slow)} requests in {time.monotonic() - t0:.1f} s, statuses {sorted(seen.items())}, "
          f"slowest {sorted(slow)[-3:]}")
    assert seen, "no request was sent"
    assert any(200 <= s < 300 for s in seen), f"the fuzz never got past validation: {seen}"


# Values that broke or could break id parsing: Unicode digits ("²".isdigit() is True, int("²") raises),
# other scripts' digits, overflowing, negative, decimal and exponent forms, NUL, a long string.
NASTY = ["²", "١٢", "99999999999999999999999999", "-1", "0", "1.5", "1e3", "%00", "x" * 300, "@", " 1"]


def test_nasty_ids_in_every_path_and_id_query(served: Served) -> None:
    """Every path parameter (the account's own id kept) and every id-like query parameter of every
    operation, set to each NASTY value in turn: a v20 error, never a 5xx (deterministic, ~1,000 requests)."""
    mine, token = served.create_account()
    spec, prefix = _v3(_spec(served))
    schema = schemathesis.openapi.from_dict(spec)
    operations = [op for op in (r.ok() for r in schema.get_all_operations()) if not op.path.endswith("/stream")]
    failures = []
    sent = 0
    for op in operations:
        names = [p.name for p in op.path_parameters if p.name != "accountID"]
        queries = [p.name for p in op.query if p.name.lower().endswith(("id", "ids")) or p.name in
                   ("from", "to", "count", "pageSize")]
        for value in NASTY:
            path = op.path.replace("{accountID}", mine)
            for name in names:
                path = path.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
            if "{" in path:
                continue
            for q in [None, *queries]:
                query = "" if q is None else "?" + urllib.parse.urlencode({q: value})
                body = {} if op.method.upper() in ("POST", "PUT", "PATCH") else None
                status, answer = served.rest(op.method.upper(), prefix + path + query, token, body)
                sent += 1
                if status >= 500:
                    failures.append(f"{op.method.upper()} {prefix}{path}{query} -> {status} {str(answer)[:200]}")
    assert sent > 300
    assert not failures, "\n".join(failures[:20])
