"""Concurrent ingests over HTTP: N clients for T seconds, then every accepted SIP accounted for.

Run by hand, loopback only:
  python benchmarks/ingest_load.py [--clients 20] [--seconds 120] [--runner in-process|celery]
      [--broker redis://127.0.0.1:6379/14] [--workers 2] [--database sqlite|postgresql]

Starts a fresh demo instance (`archipel serve` in a subprocess; with `--runner celery`, also
`--workers` `archipel worker` processes on a queue of its own), then each client posts small
SIPs (built by `archipel.collect.sip_builder`, 20 documents each) as fast as it is answered.
At the end it waits for every accepted ingest to finish and prints: requests, refusals,
POST latency (median, p95), ingests/s, and whether any accepted SIP was lost (an operation
not DONE OK, or units missing). An offer audit then checks every stored object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from archipel.collect.sip_builder import Document, build_sip

POSTGRES = os.environ.get("ARCHIPEL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--runner", choices=["in-process", "celery"], default="in-process")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (celery runner)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="archipel-load-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        environment = _environment(folder / "home", args)
        subprocess.run(
            [sys.executable, "-m", "archipel", "init"], env=environment, check=True, capture_output=True
        )
        keys = json.loads((folder / "home" / "demo-keys.json").read_text())
        port = _free_port()
        processes.append(_start(["serve", "--port", str(port)], environment, folder / "serve.log"))
        if args.runner == "celery":
            for number in range(args.workers):
                processes.append(_start(["worker"], environment, folder / f"worker-{number}.log"))
        base = f"http://127.0.0.1:{port}/api/v1"
        _wait_for_server(base)
        sip = build_sip(
            folder / "sip.zip",
            [Document(f"Acte {i}", f"acte-{i}.txt", f"Acte {i}\n".encode()) for i in range(20)],
        ).path.read_bytes()
        headers = {"X-Tenant-Id": "1", "X-Api-Key": keys["1"]}
        results = _load(base, headers, sip, args.clients, args.seconds)
        _report(base, headers, results, args)
        audit = subprocess.run(
            [sys.executable, "-m", "archipel", "audit", "offers", "--tenant", "1", "--json"],
            env=environment,
            capture_output=True,
            text=True,
        )
        print(f"offer audit afterwards: exit {audit.returncode}, {audit.stdout.strip()[:300]}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted: list[str] = []
        self.refused: list[str] = []
        self.latencies: list[float] = []


def _load(base: str, headers: dict[str, str], sip: bytes, clients: int, seconds: float) -> Results:
    results = Results()
    deadline = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(timeout=120) as http:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    answer = http.post(f"{base}/ingests", content=sip, headers=headers)
                except httpx.HTTPError as error:
                    with results.lock:
                        results.refused.append(f"transport: {error}")
                    continue
                elapsed = time.perf_counter() - start
                with results.lock:
                    results.latencies.append(elapsed)
                    if answer.status_code == 202:
                        results.accepted.append(answer.json()["operation_id"])
                    else:
                        results.refused.append(f"{answer.status_code}: {answer.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"load: {clients} clients for {time.perf_counter() - started:.0f} s")
    return results


def _report(base: str, headers: dict[str, str], results: Results, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    lost = 0
    last_end = None
    with httpx.Client(timeout=60) as http:
        for operation_id in results.accepted:
            while True:
                operation = http.get(f"{base}/operations/{operation_id}", headers=headers).json()
                if operation.get("status") == "DONE":
                    break
                time.sleep(0.2)
            outcomes[operation["outcome"]] = outcomes.get(operation["outcome"], 0) + 1
            if operation["outcome"] != "OK" or operation.get("units") != 21:
                lost += 1
            last_end = operation.get("ended")
    drained = time.perf_counter() - started
    latencies = sorted(results.latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    total = args.seconds + drained
    print(
        f"runner {args.runner}, database {args.database}: {len(results.accepted)} accepted, "
        f"{len(results.refused)} refused {results.refused[:3]}"
    )
    print(
        f"POST /ingests latency: median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )
    print(
        f"outcomes {outcomes}; lost or incomplete: {lost}; queue drained {drained:.0f} s after the load "
        f"(last ended {last_end})"
    )
    print(
        f"throughput: {len(results.accepted) / total:.2f} ingests/s "
        f"({len(results.accepted) * 21 / total:.0f} units/s) over {total:.0f} s"
    )


def _environment(home: Path, args: argparse.Namespace) -> dict[str, str]:
    environment = {**os.environ, "ARCHIPEL_HOME": str(home), "ARCHIPEL_DEMO": "true"}
    if args.database == "postgresql":
        schema = f"load_{uuid.uuid4().hex[:8]}"
        subprocess.run(
            ["psql", POSTGRES.replace("+psycopg", ""), "-qc", f"CREATE SCHEMA {schema}"], check=True
        )
        environment["ARCHIPEL_DATABASE_URL"] = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    if args.runner == "celery":
        environment["ARCHIPEL_TASK_RUNNER"] = "celery"
        environment["ARCHIPEL_BROKER_URL"] = args.broker
        environment["ARCHIPEL_TASK_QUEUE"] = f"archipel-load-{uuid.uuid4().hex[:8]}"
    return environment


def _start(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "archipel", *command],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _wait_for_server(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/status", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
