"""Every route of the console with what it needs, for the refusal matrix (a test
checks that the table names every route the app has)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hotline.console.guard import ROLES


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as declared
    action: str  # guard.ROLES key
    body: dict[str, Any] | None = None  # API JSON body / page form
    args: dict[str, str] = field(default_factory=dict)

    @property
    def roles(self) -> tuple[str, ...]:
        return ROLES[self.action]

    def url(self, ids: dict[str, str]) -> str:
        out = self.path
        for key, value in {**ids, **self.args}.items():
            out = out.replace("{" + key + "}", value)
        return out


NOTE = {"note": "checked"}
API: tuple[Route, ...] = (
    Route("GET", "/api/v1/me", "self"),
    Route("GET", "/api/v1/queue", "queue.read"),
    Route("GET", "/api/v1/alerts/{alert_id}", "queue.read"),
    Route("GET", "/api/v1/alerts/{alert_id}/text", "alert.text"),
    Route("POST", "/api/v1/alerts/{alert_id}/claim", "alert.decide", {}),
    Route("POST", "/api/v1/alerts/{alert_id}/confirm", "alert.decide", NOTE),
    Route("POST", "/api/v1/alerts/{alert_id}/dismiss", "alert.decide", NOTE),
    Route("GET", "/api/v1/media/{media_id}/spread", "media.spread"),
    Route("GET", "/api/v1/requests", "requests.read"),
    Route("POST", "/api/v1/requests/{request_id}/approve", "requests.decide", NOTE),
    Route("POST", "/api/v1/requests/{request_id}/refuse", "requests.decide", NOTE),
    Route("GET", "/api/v1/cases", "cases.read"),
    Route("POST", "/api/v1/cases", "cases.write",
          {"reference": "K-9", "title": "t", "supervisor": "sam"}),
    Route("GET", "/api/v1/cases/{reference}", "cases.read"),
    Route("POST", "/api/v1/cases/{reference}/authorizations", "cases.write",
          {"kind": "court", "authority": "AG", "document": "Gs 2", "scope": ["@some_channel"],
           "valid_until": "2099-01-01T00:00:00Z"}),
    Route("POST", "/api/v1/cases/{reference}/requests", "requests.create",
          {"target": "@bad_channel", "reason": "r"}),
    Route("POST", "/api/v1/cases/{reference}/export", "evidence.export"),
    Route("POST", "/api/v1/authorizations/{authz_id}/revoke", "authorization.revoke",
          {"reason": "r"}),
    Route("GET", "/api/v1/watches", "watches.read"),
    Route("GET", "/api/v1/jobs/{job_id}", "self"),
    Route("GET", "/api/v1/jobs/{job_id}/bundle", "evidence.export"),
    Route("GET", "/api/v1/ledger", "ledger.read"),
    Route("GET", "/api/v1/users", "users.admin"),
    Route("POST", "/api/v1/users", "users.admin",
          {"username": "newbie", "roles": ["operator"], "password": "x" * 16}),
    Route("POST", "/api/v1/users/{username}/disable", "users.admin", {}),
    Route("POST", "/api/v1/users/{username}/enable", "users.admin", {}),
    Route("GET", "/api/v1/accounts", "accounts.read"),
    Route("GET", "/api/v1/banks", "banks.read"),
    Route("POST", "/api/v1/banks/{bank}/import", "banks.import",
          {"content": "hash_type,hash_value\nmd5,5d41402abc4b2a76b9719d911017c592\n"}),
)
PAGES: tuple[Route, ...] = (
    Route("POST", "/logout", "self", {}),
    Route("GET", "/queue", "queue.read"),
    Route("GET", "/queue/rows", "queue.read"),
    Route("GET", "/queue/events", "queue.read"),
    Route("GET", "/alerts/{alert_id}", "queue.read"),
    Route("POST", "/alerts/{alert_id}/text", "alert.text", {}),
    Route("POST", "/alerts/{alert_id}/claim", "alert.decide", {}),
    Route("POST", "/alerts/{alert_id}/confirm", "alert.decide", NOTE),
    Route("POST", "/alerts/{alert_id}/dismiss", "alert.decide", NOTE),
    Route("GET", "/supervisor", "requests.decide"),
    Route("POST", "/requests/{request_id}/approve", "requests.decide", NOTE),
    Route("POST", "/requests/{request_id}/refuse", "requests.decide", NOTE),
    Route("POST", "/authorizations/{authz_id}/revoke", "authorization.revoke", {"reason": "r"}),
    Route("POST", "/cases/{reference}/export", "evidence.export", {}),
    Route("GET", "/jobs/{job_id}", "self"),
    Route("GET", "/jobs/{job_id}/bundle", "evidence.export"),
    Route("GET", "/investigator", "cases.write"),
    Route("POST", "/cases", "cases.write", {"reference": "K-9", "title": "t", "supervisor": "sam"}),
    Route("POST", "/cases/{reference}/authorize", "cases.write",
          {"kind": "court", "authority": "AG", "document": "Gs 2", "valid_until": "2099-01-01",
           "scope": "@some_channel"}),
    Route("POST", "/cases/{reference}/request", "requests.create",
          {"target": "@bad_channel", "reason": "r"}),
    Route("GET", "/admin", "users.admin"),
    Route("POST", "/admin/users", "users.admin",
          {"username": "newbie", "roles": "operator", "password": "x" * 16}),
    Route("POST", "/admin/users/{username}/disable", "users.admin", {}),
    Route("POST", "/admin/users/{username}/enable", "users.admin", {}),
    Route("POST", "/admin/banks/import", "banks.import", {"bank": "demo"}),
)
#: Routes anyone may call: signing in, the health and metrics endpoints, the schema.
OPEN = {"/", "/login", "/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/static"}
