"""The elimination certificate (attestation d'élimination): what was destroyed, on whose visa.

Issued by the `ELIMINATION_ACTION` operation once every binary is gone from every offer,
as JSON (what a program checks) and PDF (what a person files), both written to every
offer beside that operation's logbook: the database may be lost, the proof stays with the
archives. Each unit is listed with its minimal trace — id, title, dates, rules, the
SHA-512 of its last document version and of its objects — the same trace the
`ELIMINATION_UNITS` operation sealed in the logbook and the units' tombstones hold.
"""

from __future__ import annotations

import json
from typing import Any

from archipel.core.clock import iso, utc_now
from archipel.lifecycle.elimination_pdf import certificate_pdf
from archipel.lifecycle.model import EliminationRequest

CERTIFICATE_SCHEMA = "archipel:elimination-certificate:1"
CERTIFICATE_JSON, CERTIFICATE_PDF = "elimination-certificate.json", "elimination-certificate.pdf"


def certificate(
    tenant: int, request: EliminationRequest, offers: list[str], operation_id: str
) -> dict[str, Any]:
    """The certificate of a request whose units and binaries are gone."""
    return {
        "schema": CERTIFICATE_SCHEMA,
        "tenant": tenant,
        "request_id": request.id,
        "analysis_id": request.analysis_id,
        "date": request.reference_date.isoformat(),
        "requested_by": request.requested_by,
        "requested_at": iso(request.requested_at),
        "approved_by": request.decided_by,
        "approved_at": iso(request.decided_at) if request.decided_at else None,
        "approval_operation_id": request.decision_operation_id,
        "units_operation_id": request.units_operation_id,
        "action_operation_id": operation_id,
        "eliminated": request.eliminated,
        "objects_deleted": request.objects_deleted,
        "offers": offers,
        "issued": iso(utc_now()),
        "units": list(request.trace),
    }


def certificate_files(document: dict[str, Any], shown: dict[str, Any]) -> dict[str, bytes]:
    """The JSON names people by reference, as the records do; the PDF by their login at the
    time (`shown`), as the certificate people read and keep."""
    as_json = (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return {CERTIFICATE_JSON: as_json, CERTIFICATE_PDF: certificate_pdf(shown)}
