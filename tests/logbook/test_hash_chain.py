"""One hash chain per tenant and logbook, never forked, whoever writes at the same time."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

from chain_writers import TEST_KIND, append_alone, content
from logbook_support import OK_SIP, ingest
from support import FIXTURES

from archipel.logbook import chain
from archipel.logbook.canonical import GENESIS, chain_link, link_hash
from archipel.logbook.model import LogbookEvent, Operation
from archipel.logbook.service import OperationLog, sealed_content
from archipel.logbook.verification import verify_logbooks
from archipel.platform import Platform

THREADS, PROCESSES, EACH = 6, 3, 8


def assert_one_unforked_chain(platform: Platform, kind: str, expected: int) -> list[chain.Link]:
    """Positions 1..n without gap or double, each linking to the one before, hashes recomputed."""
    with platform.database.unit_of_work() as session:
        head = chain.heads(session, 1)[kind]
        links = list(chain.walk(session, 1, head.chain))
    assert [link.position for link in links] == list(range(1, expected + 1))
    previous = GENESIS
    for link in links:
        assert link.previous == previous
        writer, n = link.entry.rsplit("-", 1)
        assert link.hash == link_hash(
            chain_link(1, kind, head.chain, link.position, previous, content(writer, int(n)))
        )
        previous = link.hash
    assert (head.position, head.hash) == (expected, previous)
    return links


def test_threads_appending_at_once_make_one_chain(platform: Platform) -> None:
    url = platform.settings.database_url
    with ThreadPoolExecutor(THREADS) as pool:
        for done in [pool.submit(append_alone, url, f"thread{n}", EACH) for n in range(THREADS)]:
            done.result()
    assert_one_unforked_chain(platform, TEST_KIND, THREADS * EACH)


def test_processes_appending_at_once_make_one_chain(platform: Platform) -> None:
    url = platform.settings.database_url
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=append_alone, args=(url, f"process{n}", EACH)) for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    assert_one_unforked_chain(platform, TEST_KIND, PROCESSES * EACH)


def test_two_ingests_finishing_together_leave_every_chain_verifiable(platform: Platform) -> None:
    second = FIXTURES / "sip" / "ok" / "OK_ARBO_rateau.zip"
    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(ingest, platform, 1, sip) for sip in (OK_SIP, second)]
        operations = [future.result() for future in done]
    report = verify_logbooks(platform, 1)
    assert report.ok, report.faults
    with platform.database.unit_of_work() as session:
        links = chain.links_of(session, 1, chain.OPERATIONS, operations)
        assert len({link.position for link in links.values()}) == 2


def test_a_finished_operation_is_sealed_with_its_events_at_the_end_of_its_tenants_chain(
    platform: Platform,
) -> None:
    operation_id = ingest(platform)
    with platform.database.unit_of_work() as session:
        link = chain.link_of(session, 1, chain.OPERATIONS, operation_id)
        head = chain.heads(session, 1)[chain.OPERATIONS]
        operation = OperationLog(session, 1).get(operation_id)
        events = list(
            session.scalars(
                OperationLog(session, 1)
                .scope.select(LogbookEvent)
                .where(LogbookEvent.operation_id == operation_id)
            )
        )
        sealed = sealed_content(operation, events)
        assert isinstance(operation, Operation)
    assert link is not None and (head.chain, head.position, head.hash) == (
        link.chain,
        link.position,
        link.hash,
    )
    assert len(sealed["events"]) == len(events) > 3 and sealed["reply_sha512"]
    assert link.hash == link_hash(
        chain_link(1, chain.OPERATIONS, link.chain, link.position, link.previous, sealed)
    )
    with platform.database.unit_of_work() as session:
        assert chain.link_of(session, 2, chain.OPERATIONS, operation_id) is None  # another tenant's chain
