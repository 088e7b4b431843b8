"""The permission every HTTP route needs, declared in one table.

One place to review who may call what, and deny by default: a route missing here is
refused to everyone (`archipel.api.deps.require_permission`), and the test walking the
OpenAPI names it. Keys are `(method, path template)` exactly as the OpenAPI lists them.
"""

from __future__ import annotations

from archipel.admin.roles import Permission as P

ROUTE_PERMISSIONS: dict[tuple[str, str], P] = {
    # ingest
    ("POST", "/api/v1/ingests"): P.INGEST,
    ("GET", "/api/v1/ingests/{operation_id}/reply"): P.INGEST,
    ("POST", "/api/v1/analyses"): P.INGEST,  # a folder analysed before its deposit: touches no archive
    # collect ("collecte en mode flux"): a SIP put together over many calls, then ingested
    ("POST", "/api/v1/collect/projects"): P.INGEST,
    ("GET", "/api/v1/collect/projects"): P.INGEST,
    ("GET", "/api/v1/collect/projects/{project_id}"): P.INGEST,
    ("PATCH", "/api/v1/collect/projects/{project_id}"): P.INGEST,
    ("POST", "/api/v1/collect/projects/{project_id}/transactions"): P.INGEST,
    ("GET", "/api/v1/collect/transactions"): P.INGEST,
    ("GET", "/api/v1/collect/transactions/{transaction_id}"): P.INGEST,
    ("DELETE", "/api/v1/collect/transactions/{transaction_id}"): P.INGEST,
    ("POST", "/api/v1/collect/transactions/{transaction_id}/close"): P.INGEST,
    ("POST", "/api/v1/collect/transactions/{transaction_id}/reopen"): P.INGEST,
    ("POST", "/api/v1/collect/transactions/{transaction_id}/send"): P.INGEST,
    ("POST", "/api/v1/collect/transactions/{transaction_id}/abort"): P.INGEST,
    ("GET", "/api/v1/collect/transactions/{transaction_id}/reply"): P.INGEST,
    ("POST", "/api/v1/collect/transactions/{transaction_id}/upload"): P.INGEST,
    ("POST", "/api/v1/collect/transactions/{transaction_id}/units"): P.INGEST,
    ("GET", "/api/v1/collect/transactions/{transaction_id}/units"): P.INGEST,
    ("GET", "/api/v1/collect/transactions/{transaction_id}/units/{unit_id}"): P.INGEST,
    ("PATCH", "/api/v1/collect/transactions/{transaction_id}/units/{unit_id}"): P.INGEST,
    ("DELETE", "/api/v1/collect/transactions/{transaction_id}/units/{unit_id}"): P.INGEST,
    ("PUT", "/api/v1/collect/transactions/{transaction_id}/units/{unit_id}/binary"): P.INGEST,
    ("GET", "/api/v1/collect/transactions/{transaction_id}/units/{unit_id}/binary/status"): P.INGEST,
    ("GET", "/api/v1/operations"): P.OPERATIONS_READ,
    ("GET", "/api/v1/operations/{operation_id}"): P.OPERATIONS_READ,
    # access
    ("GET", "/api/v1/units"): P.READ,
    ("POST", "/api/v1/units/search"): P.READ,
    ("POST", "/api/v1/objects/search"): P.READ,
    ("GET", "/api/v1/units/{unit_id}"): P.READ,
    ("GET", "/api/v1/units/{unit_id}/rules"): P.READ,
    ("GET", "/api/v1/object-groups/{group_id}"): P.READ,
    ("GET", "/api/v1/objects/{object_id}/binary"): P.READ,
    ("GET", "/api/v1/units/{unit_id}/binary"): P.READ,
    ("GET", "/api/v1/units/{unit_id}/lifecycle"): P.READ,
    ("GET", "/api/v1/object-groups/{group_id}/lifecycle"): P.READ,
    ("GET", "/api/v1/units/{unit_id}/evidence"): P.READ,
    ("GET", "/api/v1/units/{unit_id}/evidence/report"): P.READ,
    ("GET", "/api/v1/trees"): P.READ,
    ("GET", "/api/v1/trees/{root_id}"): P.READ,
    ("POST", "/api/v1/dips"): P.DIP,
    ("POST", "/api/v1/dips/estimate"): P.DIP,
    ("GET", "/api/v1/dips/{operation_id}"): P.DIP,
    ("GET", "/api/v1/dips/{operation_id}/content"): P.DIP,
    # referentials and filing trees
    ("GET", "/api/v1/referentials/{kind}"): P.REFERENTIALS_READ,
    ("GET", "/api/v1/referentials/{kind}/export"): P.REFERENTIALS_READ,
    ("GET", "/api/v1/referentials/{kind}/{identifier}"): P.REFERENTIALS_READ,
    ("GET", "/api/v1/referentials/{kind}/{identifier}/history"): P.REFERENTIALS_READ,
    ("POST", "/api/v1/referentials/{kind}"): P.REFERENTIALS_WRITE,
    ("PUT", "/api/v1/referentials/{kind}/{identifier}"): P.REFERENTIALS_WRITE,
    ("DELETE", "/api/v1/referentials/{kind}/{identifier}"): P.REFERENTIALS_WRITE,
    ("PUT", "/api/v1/referentials/{kind}/{identifier}/file"): P.REFERENTIALS_WRITE,
    ("POST", "/api/v1/trees"): P.REFERENTIALS_WRITE,
    ("PATCH", "/api/v1/trees/nodes/{unit_id}"): P.REFERENTIALS_WRITE,
    ("DELETE", "/api/v1/trees/nodes/{unit_id}"): P.REFERENTIALS_WRITE,
    # description and arrangement
    ("POST", "/api/v1/units/{unit_id}/reclassify"): P.DESCRIBE,
    ("POST", "/api/v1/units/update"): P.DESCRIBE,
    # preservation and evidence
    ("POST", "/api/v1/audits"): P.AUDIT,
    ("POST", "/api/v1/logbooks/secure"): P.LOGBOOKS_SECURE,
    ("GET", "/api/v1/logbooks/verify"): P.LOGBOOKS_VERIFY,
    ("GET", "/api/v1/logbooks/proofs/{entry_id}"): P.LOGBOOKS_VERIFY,
    # elimination: the archivist asks and runs, the approver decides
    ("POST", "/api/v1/elimination-analyses"): P.ELIMINATE,
    ("GET", "/api/v1/elimination-analyses/{operation_id}"): P.ELIMINATIONS_READ,
    ("POST", "/api/v1/eliminations"): P.ELIMINATE,
    ("GET", "/api/v1/eliminations/{request_id}"): P.ELIMINATIONS_READ,
    ("GET", "/api/v1/eliminations/{request_id}/request.{kind}"): P.ELIMINATIONS_READ,
    ("POST", "/api/v1/eliminations/{request_id}/approve"): P.APPROVE,
    ("POST", "/api/v1/eliminations/{request_id}/refuse"): P.APPROVE,
    ("POST", "/api/v1/eliminations/{request_id}/run"): P.ELIMINATE,
    ("GET", "/api/v1/eliminations/{request_id}/certificate"): P.ELIMINATIONS_READ,
    # transfers to another archive
    ("POST", "/api/v1/transfers"): P.TRANSFER,
    ("GET", "/api/v1/transfers/{operation_id}"): P.TRANSFER,
    ("GET", "/api/v1/transfers/{operation_id}/content"): P.TRANSFER,
    ("POST", "/api/v1/transfers/{operation_id}/reply"): P.TRANSFER,
    # volumetry and billing: a tenant's own figures; an organisation's bill (archipel.admin.billing)
    ("GET", "/api/v1/volumetry"): P.VOLUMETRY,
    ("GET", "/api/v1/billing/report"): P.BILLING,
}

ROUTE_PERMISSIONS.update(
    {  # the tenant's people and applications (archipel.api.routes.users)
        ("GET", "/api/v1/users"): P.ADMINISTER,
        ("POST", "/api/v1/users"): P.ADMINISTER,
        ("PUT", "/api/v1/users/{login}/roles/{role}"): P.ADMINISTER,
        ("DELETE", "/api/v1/users/{login}/roles/{role}"): P.ADMINISTER,
        ("GET", "/api/v1/keys"): P.ADMINISTER,
        ("POST", "/api/v1/keys"): P.ADMINISTER,
        ("DELETE", "/api/v1/keys/{key_id}"): P.ADMINISTER,
        # the whole platform's tenants and organisations (archipel.api.routes.tenants)
        ("GET", "/api/v1/tenants"): P.PLATFORM,
        ("POST", "/api/v1/tenants"): P.PLATFORM,
        ("POST", "/api/v1/tenants/{tenant_id}/provision"): P.PLATFORM,
        ("POST", "/api/v1/tenants/{tenant_id}/deactivate"): P.PLATFORM,
        ("POST", "/api/v1/tenants/{tenant_id}/activate"): P.PLATFORM,
        ("GET", "/api/v1/organisations"): P.PLATFORM,
    }
)

PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/status"),
        ("POST", "/api/v1/auth/token"),
        ("POST", "/api/v1/auth/session"),
        ("DELETE", "/api/v1/auth/session"),
    }
)
"""Routes that need no credential: liveness, and signing in to get one."""


def required_permission(method: str, template: str) -> P | None:
    """The permission a route declares; None when it declares none (and is then refused)."""
    return ROUTE_PERMISSIONS.get(("GET" if method == "HEAD" else method, template))
