"""The `archipel` command: see ../shared/design/INTERFACE.md for the contract it keeps.

Exit codes: 0 success (an ingest replied OK or WARNING), 1 the operation ran and was
refused or failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from archipel.access.delivery import open_object
from archipel.access.scope import open_scope
from archipel.admin import service as admin
from archipel.admin.provisioning import NewTenant, Provisioned, TenantAdmin, complete, provision_tenant
from archipel.admin.roles import Role, parse_role
from archipel.cli import access as access_cli
from archipel.cli.analyse import analyse as analyse_command
from archipel.cli.audit import audit_app
from archipel.cli.dip import dip_app
from archipel.cli.elimination import elimination_app
from archipel.cli.evidence import evidence_app
from archipel.cli.evidence import verify as verify_bundle_command
from archipel.cli.filing import tree_app
from archipel.cli.logbook import logbook_app
from archipel.cli.output import emit_json, err, fail, out, print_findings, table
from archipel.cli.reclassify import reclassify as reclassify_command
from archipel.cli.referential import referential_app
from archipel.cli.sip_build import build as sip_build_command
from archipel.cli.transfer import transfer_app
from archipel.cli.update import recompute as recompute_command
from archipel.cli.update import update as update_command
from archipel.cli.users import PasswordStdinOpt, password_from_stdin, user_app
from archipel.cli.volumetry import billing_app, volumetry_app
from archipel.core import errors
from archipel.core.digests import digest_file
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog, OperationView
from archipel.metadata import service as metadata
from archipel.platform import Platform

app = typer.Typer(
    help="Archipel: shared electronic archiving system (SAE), SEDA 2.x.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
tenant_app = typer.Typer(help="Tenants (one sealed space per archives service).", no_args_is_help=True)
key_app = typer.Typer(help="API keys for applications.", no_args_is_help=True)
units_app = typer.Typer(help="Archive units.", no_args_is_help=True)
unit_app = typer.Typer(help="One archive unit.", no_args_is_help=True)
object_app = typer.Typer(help="Data objects.", no_args_is_help=True)
sip_app = typer.Typer(help="SIPs, before they are sent.", no_args_is_help=True)
for name, sub in (
    ("tenant", tenant_app),
    ("key", key_app),
    ("units", units_app),
    ("unit", unit_app),
    ("object", object_app),
    ("sip", sip_app),
):
    app.add_typer(sub, name=name)
sip_app.command("build")(sip_build_command)
app.add_typer(referential_app, name="referential")
app.add_typer(tree_app, name="tree")
app.command("search")(access_cli.search)
app.command("analyse")(analyse_command)
app.add_typer(access_cli.rules_app, name="rules")
app.add_typer(audit_app, name="audit")
app.add_typer(dip_app, name="dip")
app.add_typer(logbook_app, name="logbook")
app.add_typer(evidence_app, name="evidence")
app.command("verify")(verify_bundle_command)
app.command("reclassify")(reclassify_command)
app.add_typer(elimination_app, name="elimination")
app.command("update")(update_command)
app.add_typer(transfer_app, name="transfer")
app.add_typer(user_app, name="user")
app.add_typer(volumetry_app, name="volumetry")
app.add_typer(billing_app, name="billing")
access_cli.rules_app.command("recompute")(recompute_command)

_state: dict[str, Any] = {"debug": False, "home": None}

TenantOpt = Annotated[int, typer.Option("--tenant", "-t", help="tenant number")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]


@app.callback()
def main_options(
    home: Annotated[
        Path | None, typer.Option("--home", envvar="ARCHIPEL_HOME", help="instance folder")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    _state["home"] = home
    _state["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr)


def platform() -> Platform:
    """The instance, initialised (idempotent), with crashed operations recovered."""
    instance = Platform.open(_state["home"])
    instance.initialise()
    return instance


@app.command()
def init(
    json_: JsonOpt = False, demo: Annotated[bool, typer.Option(help="create the demo tenants")] = True
) -> None:
    """Create or upgrade the instance (idempotent: run it twice, nothing lost or duplicated)."""
    instance = Platform.open(_state["home"])
    report = instance.initialise(demo=demo)
    result = {
        "home": str(instance.settings.home),
        "created": report.created,
        "recovered": report.recovered,
        "database": instance.settings.database_url.split("@")[-1],
        "offers": [offer.name for offer in instance.settings.offers],
        "demo_keys": {str(k): v for k, v in report.demo_keys.items()},
    }
    instance.close()
    if json_:
        emit_json(result)
    else:
        out.print(
            f"Instance ready in [bold]{result['home']}[/bold] ({'created' if report.created else 'existing'})"
        )
        for tenant, key in report.demo_keys.items():
            out.print(f"  tenant {tenant}: X-Api-Key: {key}")
        if report.recovered:
            out.print(f"  rolled back {len(report.recovered)} interrupted operation(s)")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Start the HTTP server (API at /api/v1, docs at /api/v1/docs)."""
    import uvicorn

    from archipel.api.app import create_app

    instance = platform()
    err.print(f"Archipel listening on http://{host}:{port}/api/v1/docs")
    uvicorn.run(create_app(instance, close_on_shutdown=True), host=host, port=port, log_level="info")


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", help="operations at once (default: the workers setting)")
    ] = None,
) -> None:
    """Run queued background operations (ingests, audits, eliminations...) from the Celery broker."""
    from archipel.tasks.worker import start_worker

    instance = platform()
    if instance.settings.task_runner != "celery":
        raise errors.ConfigurationError(
            "archipel worker needs task_runner = 'celery' and a broker_url (archipel.toml or "
            "ARCHIPEL_TASK_RUNNER / ARCHIPEL_BROKER_URL): with the in-process runner, `archipel serve` "
            "runs background operations itself"
        )
    err.print(f"Archipel worker on queue {instance.settings.task_queue}")
    try:
        start_worker(instance, concurrency)
    finally:
        instance.close()


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option("--name")],
    organisation: Annotated[str | None, typer.Option("--organisation")] = None,
    tenant_id: Annotated[int | None, typer.Option("--id", help="tenant number (default: next)")] = None,
    admin_login: Annotated[
        str | None, typer.Option("--admin", help="the tenant admin's login (created if new)")
    ] = None,
    password_stdin: PasswordStdinOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Create a tenant and provision it: offers ready, starter referentials, a tenant admin.

    A new admin without --password-stdin gets a generated password, printed once."""
    done = provision_tenant(
        platform(), NewTenant(name, organisation, tenant_id), _tenant_admin(admin_login, password_stdin)
    )
    _print_provisioned(done, json_, "created")


@tenant_app.command("provision")
def tenant_provision(
    tenant: TenantOpt,
    admin_login: Annotated[str | None, typer.Option("--admin", help="a tenant admin's login")] = None,
    password_stdin: PasswordStdinOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Complete a tenant's provisioning (interrupted, or made before it existed): what is missing only."""
    done = complete(platform(), tenant, _tenant_admin(admin_login, password_stdin))
    _print_provisioned(done, json_, "provisioned")


def _tenant_admin(login: str | None, password_stdin: bool) -> TenantAdmin | None:
    if login is None:
        if password_stdin:
            raise errors.InvalidRequest("--password-stdin is the password of --admin: name the admin")
        return None
    return TenantAdmin(login, password_from_stdin() if password_stdin else None)


def _print_provisioned(done: Provisioned, json_: bool, verb: str) -> None:
    if json_:
        emit_json(done.as_dict())
        return
    out.print(f"tenant {done.tenant} {verb}: {done.name}", highlight=False)
    if done.referentials:
        out.print(f"  starter referentials: {', '.join(done.referentials)}", highlight=False)
    if done.admin:
        out.print(f"  tenant admin: {done.admin}", highlight=False)
    if done.password:
        out.print(f"  password (shown once, change it): {done.password}", highlight=False)


@tenant_app.command("list")
def tenant_list(json_: JsonOpt = False) -> None:
    """List tenants."""
    instance = platform()
    with instance.database.unit_of_work() as session:
        rows = [
            {"id": t.id, "name": t.name, "organisation": o.name if o else None, "active": t.active}
            for t, o in admin.list_tenants(session)
        ]
    if json_:
        emit_json(rows)
    else:
        table("Tenants", ["id", "name", "organisation", "active"], [list(r.values()) for r in rows])


ReasonOpt = Annotated[str, typer.Option("--reason", help="why, for the logbook")]


def _tenant_status_command(active: bool, summary: str) -> Callable[..., None]:
    """`tenant deactivate` and `tenant activate`: one command each, the same options."""

    def command(tenant: TenantOpt, reason: ReasonOpt = "", json_: JsonOpt = False) -> None:
        _set_tenant_active(tenant, active, reason, json_)

    command.__doc__ = summary
    return command


tenant_app.command("deactivate")(
    _tenant_status_command(False, "Make a tenant read-only: archives stay consultable, nothing new comes in.")
)
tenant_app.command("activate")(_tenant_status_command(True, "Open a deactivated tenant to deposits again."))


def _set_tenant_active(tenant: int, active: bool, reason: str, json_: bool) -> None:
    instance = platform()
    with instance.database.unit_of_work() as session:
        operation_id = admin.set_tenant_active(session, tenant, active, "cli", reason)
    if operation_id is not None:
        instance.write_operation_logbook(admin.ADMIN_TENANT, operation_id)
    result = {"tenant": tenant, "active": active, "operation_id": operation_id}
    state = ("active" if active else "deactivated (read-only)") + ("" if operation_id else ", already")
    emit_json(result) if json_ else out.print(f"tenant {tenant} {state}")


@key_app.command("create")
def key_create(
    tenant: TenantOpt,
    name: Annotated[str, typer.Option("--name")] = "default",
    contract: Annotated[
        str | None, typer.Option("--contract", help="access contract of calls naming none")
    ] = None,
    role: Annotated[
        str, typer.Option("--role", help="what the application may do on the tenant")
    ] = Role.TENANT_ADMIN.value,
    json_: JsonOpt = False,
) -> None:
    """Create an API key for a tenant (the secret is shown once)."""
    held = parse_role(role)
    instance = platform()
    with instance.database.unit_of_work() as session:
        admin.require_tenant(session, tenant)
        if contract:
            open_scope(session, tenant, contract)  # the contract must exist and be active
        issued = admin.create_api_key(session, tenant, name, contract, held)
    summary = {"key": issued.secret, "tenant": tenant, "role": issued.role.value}
    emit_json(summary) if json_ else out.print(issued.secret)


@app.command()
def ingest(
    sip: Annotated[Path, typer.Argument(help="the SIP: a ZIP with manifest.xml")],
    tenant: TenantOpt,
    reply: Annotated[
        Path | None, typer.Option("--reply", help="write the ArchiveTransferReply XML here")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Ingest a SIP and wait for its reply (exit 1 if refused)."""
    if not sip.is_file():
        raise errors.InvalidRequest(f"{sip}: no such file")
    instance = platform()
    with instance.database.unit_of_work() as session:
        admin.require_tenant(session, tenant)
    service = IngestService(instance)
    operation_id = service.submit(tenant, sip, sip.name, agent="cli")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total or None)
            bar.update(tasks[phase], completed=done, total=total or None)

        result = service.run(tenant, operation_id, progress)
    with instance.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        view = OperationView(logbook.get(operation_id), logbook.events(operation_id))
        atr = view.operation.reply
    if reply is not None and atr:
        reply.write_bytes(atr)
    summary = {
        "operation_id": operation_id,
        "reply_code": "KO" if result.outcome is Outcome.FATAL else result.outcome.value,
        "outcome": result.outcome.value,
        "units": result.units,
        "objects": result.objects,
        "events": [
            {
                "step": e["step"],
                "code": e["code"],
                "outcome": e["outcome"],
                "target": e["target"],
                "message": e["message"],
            }
            for e in view.as_dict()["events"]
        ],
    }
    instance.close()
    if json_:
        emit_json(summary)
    else:
        colour = {"OK": "green", "WARNING": "yellow"}.get(result.outcome.value, "red")
        out.print(
            f"[{colour}]{result.outcome.value}[/{colour}] operation {operation_id}: "
            f"{result.units} units, {result.objects} objects"
        )
        print_findings(summary["events"])
    if result.outcome.rank >= Outcome.KO.rank:
        raise typer.Exit(1)


@units_app.command("list")
def units_list(tenant: TenantOpt, limit: int = 100, offset: int = 0, json_: JsonOpt = False) -> None:
    """List archive units."""
    instance = platform()
    with instance.database.unit_of_work() as session:
        admin.require_tenant(session, tenant)
        rows = metadata.unit_summaries(session, tenant, limit, offset)
    if json_:
        emit_json(rows)
    else:
        table(
            f"Archive units of tenant {tenant}",
            ["id", "title", "level", "parents", "object group"],
            [[r["id"], r["title"], r["level"], len(r["parents"]), r["object_group"]] for r in rows],
        )


@unit_app.command("show")
def unit_show(unit_id: str, tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """Show a unit with its metadata, rules, object group and objects."""
    instance = platform()
    with instance.database.unit_of_work() as session:
        admin.require_tenant(session, tenant)
        detail = metadata.unit_detail(session, tenant, unit_id)
    if json_:
        emit_json(detail)
    else:
        out.print_json(data=detail)


@object_app.command("get")
def object_get(
    object_id: str,
    tenant: TenantOpt,
    output: Annotated[Path, typer.Option("-o", "--output", help="file to write")],
    contract: access_cli.ContractOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Write an object's bytes to a file (its SHA-512 is checked on read; the delivery is recorded)."""
    instance = platform()
    with instance.database.unit_of_work() as session:
        admin.require_tenant(session, tenant)
        scope = access_cli.cli_scope(session, tenant, contract)
    partial = output.with_name(output.name + ".part")
    with open_object(instance, scope, object_id) as (obj, stream), partial.open("wb") as target:
        while chunk := stream.read(1024 * 1024):
            target.write(chunk)
    if digest_file(partial)["sha512"] != obj.sha512:
        partial.unlink()
        raise errors.IntegrityFault(f"object {object_id}: bytes written do not match SHA-512")
    partial.replace(output)
    result = {
        "id": obj.id,
        "file": str(output),
        "size": obj.size,
        "digest": obj.sha512,
        "digest_algorithm": "SHA-512",
    }
    emit_json(result) if json_ else out.print(f"{output}: {obj.size} bytes, SHA-512 verified")


@app.command("rebuild")
def rebuild_index(
    tenant: Annotated[int | None, typer.Option("--tenant", "-t", help="only this tenant")] = None,
    offer: Annotated[
        str | None, typer.Option("--offer", help="the offer to read (default: the first)")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="over a database holding archives: add only what it lacks")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Rebuild the database from one offer (into an empty database); run again to resume after a crash."""
    from archipel.metadata.rebuild import rebuild

    instance = platform()
    with Progress(
        TextColumn("rebuild"),
        TextColumn("{task.completed} keys listed"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("rebuild", total=None)
        report = rebuild(instance, offer, tenant, lambda done: bar.update(task, completed=done), force)
    instance.close()
    if json_:
        emit_json(report.as_dict())
    else:
        out.print(", ".join(f"{count} {name.replace('_', ' ')}" for name, count in report.as_dict().items()))


@sip_app.command("check")
def sip_check(sip: Annotated[Path, typer.Argument(help="the SIP ZIP")], json_: JsonOpt = False) -> None:
    """Run the ingest checks on a SIP offline (no instance needed); exit 1 if it would be refused."""
    from archipel.core.settings import load_settings
    from archipel.ingest.offline import check_sip

    if not sip.is_file():
        raise errors.InvalidRequest(f"{sip}: no such file")
    result = check_sip(load_settings(_state["home"]), sip)
    code = "KO" if result.outcome.rank >= Outcome.KO.rank else result.outcome.value
    events = [
        {"step": e.step, "code": e.key, "outcome": e.outcome.value, "target": e.target, "message": e.message}
        for e in result.events
    ]
    if json_:
        emit_json({"reply_code": code, "events": events})
    else:
        out.print(f"{code}: {sip.name}")
        print_findings(events)
    if code == "KO":
        raise typer.Exit(1)


USAGE_ERRORS = (errors.ConfigurationError, errors.InvalidRequest, admin.UnknownTenant)


def main() -> None:
    """Entry point: maps errors to one line on stderr and an exit code."""
    try:
        code = app(standalone_mode=False)  # without standalone mode, click returns Exit codes
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        fail("interrupted")
        sys.exit(1)
    except Exception as error:  # the one place errors become exit codes
        kinds = {kind.__name__ for kind in type(error).__mro__}
        # by name: Typer raises its own copy of click's exceptions (typer._click), not click's
        if "UsageError" in kinds:  # a missing or malformed option: bad usage
            error.show()  # type: ignore[attr-defined]
            sys.exit(2)
        if "ClickException" in kinds:
            error.show()  # type: ignore[attr-defined]
            sys.exit(error.exit_code)  # type: ignore[attr-defined]
        if _state["debug"]:
            raise
        if isinstance(error, errors.ArchipelError):
            fail(error.message)
            sys.exit(2 if isinstance(error, USAGE_ERRORS) else 1)
        fail(f"{type(error).__name__}: {error}")
        sys.exit(1)
