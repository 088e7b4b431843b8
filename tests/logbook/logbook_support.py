"""What the logbook tests share: ingesting a fixture SIP, and changing rows as an attacker would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import text
from support import FIXTURES

from archipel.ingest.service import IngestService
from archipel.logbook.tsa import QUERY_TYPE, REPLY_TYPE, LocalTsa
from archipel.platform import Platform

OK_SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"
KO_SIP = FIXTURES / "sip" / "ko" / "KO_BORD_empreinte_KO.zip"


def ingest(platform: Platform, tenant: int = 1, sip: Any = OK_SIP) -> str:
    service = IngestService(platform)
    operation_id = service.submit(tenant, sip, sip.name)
    service.run(tenant, operation_id)
    return operation_id


def tamper(platform: Platform, sql: str, **params: Any) -> int:
    """Runs `sql` past the append-only triggers, as someone with the database's credentials could.

    PostgreSQL: `session_replication_role = replica` skips user triggers for the session
    (a superuser's right); SQLite: the triggers are dropped. Returns the rows changed.
    """
    with platform.database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            triggers = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            for (name,) in list(triggers):
                connection.execute(text(f'DROP TRIGGER "{name}"'))
        return connection.execute(text(sql), params).rowcount


@contextmanager
def tsa_server(authority: LocalTsa) -> Iterator[str]:
    """A real RFC 3161 HTTP time-stamping server on 127.0.0.1 answering with `authority`; its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Type") != QUERY_TYPE:
                self.send_error(415, "expected application/timestamp-query")
                return
            answer = authority.respond(query)
            self.send_response(200)
            self.send_header("Content-Type", REPLY_TYPE)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
