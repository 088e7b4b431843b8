"""`archipel transfer export` / `archipel transfer reply`: handing units on to another archive.

The export writes the SIP (`-o`) and changes nothing; the receiver's ArchiveTransferReply,
given to `reply`, purges the units it took (OK, WARNING) or leaves them all (KO: exit 1,
the handover did not happen). Both run in this process as the archive itself (no access
contract narrows a transfer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archipel.access.scope import AccessScope
from archipel.cli.dip import query_request, run_export
from archipel.cli.instance import AGENT, JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, out
from archipel.core.errors import InvalidRequest
from archipel.lifecycle.transfer import TransferRequest, TransferService
from archipel.lifecycle.transfer_reply import TransferReplyService

transfer_app = typer.Typer(
    help="Transfers: units handed on to another archive as a SEDA SIP, purged once it replies OK.",
    no_args_is_help=True,
)


@transfer_app.command("export")
def export(
    tenant: TenantOpt,
    query: Annotated[
        str,
        typer.Option(
            "--query", help="the units (and all below them): a search request (JSON), @FILE, or words"
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="the SIP ZIP to write")],
    archival_agency: Annotated[
        str,
        typer.Option("--archival-agency", help="the receiving archive, as its agencies referential names it"),
    ],
    agreement: Annotated[
        str | None, typer.Option("--agreement", help="the receiver's ingest contract (ArchivalAgreement)")
    ] = None,
    transferring_agency: Annotated[
        str | None, typer.Option("--transferring-agency", help="this archive as the receiver knows it")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Write the SIP of a transfer (exit 1 if it failed: nothing selected, a unit under hold)."""
    request = TransferRequest(
        query=query_request(query),
        archival_agency=archival_agency,
        archival_agreement=agreement,
        transferring_agency=transferring_agency,
    )
    with tenant_instance(tenant) as instance:
        run_export(TransferService(instance), AccessScope.operator(tenant, AGENT), request, output, json_)


@transfer_app.command("reply")
def reply(
    reply_file: Annotated[
        Path, typer.Argument(metavar="ATR.xml", help="the receiver's ArchiveTransferReply")
    ],
    tenant: TenantOpt,
    json_: JsonOpt = False,
) -> None:
    """Act on the receiver's reply: OK purges the units it took, KO keeps them (exit 1)."""
    if not reply_file.is_file():
        raise InvalidRequest(f"{reply_file}: no such file")
    with tenant_instance(tenant) as instance:
        report = TransferReplyService(instance).receive(tenant, reply_file.read_bytes(), AGENT)
    if json_:
        emit_json(report.as_dict())
    else:
        out.print(f"{report.reply_code}: {report.message} (operation {report.operation_id})", highlight=False)
    if report.reply_code not in ("OK", "WARNING"):
        raise typer.Exit(1)
