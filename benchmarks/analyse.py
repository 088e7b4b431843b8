"""Folder analysis throughput and memory on a tree of many small files, against the raw walk and read.

Run by hand: `python benchmarks/analyse.py [--files 100000] [--duplicates 0.1] [--keep DIR]`.
Generates that many small files (100 B to 8 KiB: PDF, PNG, XML, plain text, unknown binary;
`--duplicates` of them copies of earlier ones) in folders of 100 files three levels deep,
with modification dates over 2000-2025, then measures, each in a fresh process so that its
peak memory (`ru_maxrss`) is its own:

1. raw: the walk alone (`os.scandir`, one `lstat` a file), then the walk reading and hashing
   every file with SHA-256 by a plain loop — the bound an analysis without formats can reach;
2. the file count done first for the progress bar's total (`count_files`);
3. `analyse` without formats (`--no-formats`), on a tenth of the tree and on all of it:
   the same peak memory for both shows it does not grow with the number of files;
4. `analyse` with PRONOM identification (and, for its memory, the signatures loaded alone).

Prints files/s, the ratio to the raw read-and-hash rate, and the peak memory of each. The
files are in the page cache (just written): these are the CPU costs, not the disk's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from archipel.collect.analysis import analyse
from archipel.collect.analysis_walk import count_files
from archipel.preservation.formats import FormatIdentifier

PER_FOLDER = 100
HEADS = (b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"<?xml version='1.0'?>\n<doc>", b"", b"\x00\x13\x37")
EXTENSIONS = (".pdf", ".png", ".xml", ".txt", ".bin")


def generate(root: Path, files: int, duplicates: float, seed: int = 7) -> int:
    """Writes the tree; returns its size in bytes."""
    chance = random.Random(seed)
    earlier: list[bytes] = []
    total = 0
    for index in range(files):
        kind = index % len(HEADS)
        if earlier and chance.random() < duplicates:
            content = chance.choice(earlier)
        else:
            body = (
                chance.randbytes(chance.randint(100, 8192))
                if kind != 3
                else b"texte " * chance.randint(20, 1300)
            )
            content = HEADS[kind] + body
            if len(earlier) < 1000:
                earlier.append(content)
        folder = root / f"d{index // 10000:02d}" / f"e{index // 1000 % 10}" / f"f{index // PER_FOLDER % 10}"
        if index % PER_FOLDER == 0:
            folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"document {index:06d}{EXTENSIONS[kind]}"
        path.write_bytes(content)
        moment = chance.uniform(946684800, 1767225600)  # 2000-01-01 .. 2026-01-01
        os.utime(path, (moment, moment))
        total += len(content)
    return total


def measure(mode: str, root: Path) -> dict[str, Any]:
    """Runs one measure in this process: (seconds, files, peak RSS in MiB)."""
    identifier = FormatIdentifier() if mode in ("formats", "signatures") else None  # before the clock starts
    start = time.perf_counter()
    if mode == "walk":
        files = _walk(root, read=False)
    elif mode == "read":
        files = _walk(root, read=True)
    elif mode == "count":
        files = count_files(root)
    elif mode == "signatures":
        files = 0
    else:
        files = analyse(root, identifier).files
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "files": files,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _walk(root: Path, read: bool) -> int:
    files, folders = 0, [str(root)]
    while folders:
        with os.scandir(folders.pop()) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                    continue
                entry.stat(follow_symlinks=False)
                if read:
                    with open(entry.path, "rb") as stream:
                        hashlib.file_digest(stream, "sha256")
                files += 1
    return files


def in_child(mode: str, root: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(root)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--duplicates", type=float, default=0.1)
    parser.add_argument("--keep", type=Path, help="make the tree here and keep it")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], Path(args.child[1]))))
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="archipel-analyse-"))
    try:
        run(base, args.files, args.duplicates)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def run(base: Path, files: int, duplicates: float) -> None:
    tenth = max(files // 10, 1)
    start = time.perf_counter()
    small_bytes = generate(base / "small", tenth, duplicates)
    full_bytes = generate(base / "full", files, duplicates)
    print(
        f"generated {tenth} + {files} files ({small_bytes / 1e6:.1f} + {full_bytes / 1e6:.1f} MB) "
        f"in {time.perf_counter() - start:.0f} s"
    )
    read = None
    for label, mode, root in (
        ("raw walk + lstat", "walk", base / "full"),
        ("raw walk + read + SHA-256", "read", base / "full"),
        ("count for the progress bar", "count", base / "full"),
        ("PRONOM signatures loaded, nothing analysed", "signatures", base / "small"),
        (f"analyse --no-formats ({tenth} files)", "plain", base / "small"),
        (f"analyse --no-formats ({files} files)", "plain", base / "full"),
        (f"analyse with formats ({files} files)", "formats", base / "full"),
    ):
        result = in_child(mode, root)
        if not result["files"]:
            print(f"{label:42} peak {result['peak_mib']:6.1f} MiB")
            continue
        rate = result["files"] / result["seconds"]
        read = rate if mode == "read" else read
        ratio = f"{rate / read:5.2f} of raw read" if read and mode in ("plain", "formats") else ""
        print(
            f"{label:42} {result['files']:7d} files {result['seconds']:7.2f} s {rate:9.0f} files/s "
            f"peak {result['peak_mib']:6.1f} MiB  {ratio}"
        )


if __name__ == "__main__":
    main()
