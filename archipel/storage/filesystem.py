"""An offer in a folder: a key is a relative path, an object is a plain file with its original bytes.

Nothing but the folder is needed to read it back, by program or by hand: no database, no
index file, no encoding of names. `README.txt` at the root explains the layout.

A write is made durable and verified before the key appears:
1. the bytes go to `.tmp/<token>.<pid>.<host>`, are flushed and `fsync`ed;
2. the page cache of that file is dropped (`posix_fadvise(DONTNEED)`, Linux) so that
3. reading it back for the SHA-512 check reads the device, not the memory just written;
4. only a verified copy is published at its key, by a hard link that fails when the key
   exists (`os.link`), so two writers can never silently replace each other's bytes
   (`os.replace` would); filesystems without hard links fall back to check-then-replace;
5. the new folder entries are `fsync`ed, so a power cut cannot lose an acknowledged write.
A crash leaves at most a file in `.tmp`, never a partial object under a key;
`clean_temporary()` removes such leftovers at start-up.

`restore` (an audit's repair) follows the same steps but publishes with `os.replace`, one
atomic rename over the damaged copy: a reader sees the damaged file or the good one, never
a mix, and a crash leaves the damaged copy in place for the next audit.

Cost of the verification: one more read of each copy, bound by SHA-512 (~1.1 GiB/s on one
core of the development machine: 0.46 s per 512 MiB, cached or not there). On a device
slower than that, dropping the cache makes the read-back run at device speed: the price
of checking what the device holds rather than what the memory holds.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import socket
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import BinaryIO

from archipel.core.digests import digest_file, digest_stream
from archipel.core.errors import IntegrityFault
from archipel.core.processes import process_alive
from archipel.storage.offer import (
    README,
    ObjectMissing,
    OfferEntry,
    OfferError,
    validate_key,
    validate_prefix,
    validate_sha512,
)

TEMPORARY = ".tmp"
TEMPORARY_GRACE_SECONDS = 24 * 3600
"""A temporary file untouched for this long belongs to no live write, whichever host made it."""

_CHUNK = 1024 * 1024
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}
_PUBLISH_ATTEMPTS = 3
"""A concurrent delete may prune a folder between its creation and the link: retry then."""


def offer_readme() -> bytes:
    """The text every offer carries at its root (packaged beside this module)."""
    return resources.files("archipel.storage").joinpath(README).read_bytes()


class FileSystemOffer:
    """An offer rooted at a folder; safe for threads and for processes sharing the folder."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = Path(root)
        self._temporary = self.root / TEMPORARY
        self._host = socket.gethostname().replace(".", "_").replace("/", "_") or "host"
        try:
            self._temporary.mkdir(parents=True, exist_ok=True)
            if not (self.root / README).exists():
                self._write_readme()
        except OSError as error:
            raise OfferError(f"offer {name}: cannot prepare {self.root}: {error}") from error

    def __repr__(self) -> str:
        return f"FileSystemOffer({self.name!r}, {str(self.root)!r})"

    # -- writing -----------------------------------------------------------------------------

    def put(self, key: str, source: Path | bytes, sha512: str) -> None:
        final = self._path(key)
        expected = validate_sha512(sha512)
        if self._already_holds(key, final, expected):
            return
        temporary = self._receive(key, source)
        try:
            self._verify(key, temporary, expected)
            self._publish(key, temporary, final, expected)
        finally:
            temporary.unlink(missing_ok=True)

    def restore(self, key: str, source: Path | bytes | BinaryIO, sha512: str) -> bool:
        """Puts the verified bytes back under `key` over a damaged or missing copy (see `Offer.restore`).

        Returns False, touching nothing, when the key already holds bytes matching `sha512`.
        The new copy is received and verified in `.tmp` like any write, then swapped in with
        `os.replace`: the only rename that may land on an existing key, used here because the
        bytes it replaces were just found not to be the key's recorded content.
        """
        final = self._path(key)
        expected = validate_sha512(sha512)
        if self._holds(key, expected):
            return False
        temporary = self._receive(key, source)
        try:
            self._verify(key, temporary, expected)
            self._make_folders(final.parent)
            os.replace(temporary, final)
            _sync_folder(final.parent)
        except OSError as error:
            raise OfferError(f"offer {self.name}: {key}: restore failed: {error}") from error
        finally:
            temporary.unlink(missing_ok=True)
        return True

    def _holds(self, key: str, expected: str) -> bool:
        """Whether the key holds a readable copy matching `expected` (a copy that cannot be read does not)."""
        try:
            return self.digest(key) == expected
        except OfferError:
            return False

    def _receive(self, key: str, source: Path | bytes | BinaryIO) -> Path:
        """Writes the bytes to a fresh temporary file, durably, and forgets them from the cache."""
        temporary = self._temporary_path()
        try:
            with temporary.open("xb") as target:
                if isinstance(source, bytes | bytearray | memoryview):
                    target.write(source)
                elif isinstance(source, Path | str):
                    with Path(source).open("rb") as stream:
                        _copy(stream, target)
                else:
                    _copy(source, target)
                target.flush()
                os.fsync(target.fileno())
                _forget_cached_pages(target)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise OfferError(f"offer {self.name}: {key}: write failed: {error}") from error
        return temporary

    def _verify(self, key: str, temporary: Path, expected: str) -> None:
        try:
            actual = digest_file(temporary)["sha512"]
        except OSError as error:
            raise OfferError(f"offer {self.name}: {key}: read-back failed: {error}") from error
        if actual != expected:
            raise IntegrityFault(
                f"offer {self.name}: {key}: the copy read back has SHA-512 {actual[:16]}…, "
                f"expected {expected[:16]}…; the copy was removed"
            )

    def _publish(self, key: str, temporary: Path, final: Path, expected: str) -> None:
        """Gives the verified file its key without ever replacing what the key already holds."""
        for _ in range(_PUBLISH_ATTEMPTS):
            try:
                self._make_folders(final.parent)
                try:
                    os.link(temporary, final)
                except OSError as error:
                    if error.errno not in _NO_HARD_LINKS:
                        raise
                    if final.exists():
                        raise FileExistsError(errno.EEXIST, "exists", str(final)) from error
                    os.replace(temporary, final)
                _sync_folder(final.parent)
                return
            except FileExistsError as error:
                if self._already_holds(key, final, expected):  # refuses other bytes
                    return
                failure: OSError = error  # deleted meanwhile: try again
            except FileNotFoundError as error:
                failure = error
            except OSError as error:
                raise OfferError(f"offer {self.name}: {key}: publish failed: {error}") from error
        raise OfferError(f"offer {self.name}: {key}: publish failed: {failure}") from failure

    def _already_holds(self, key: str, final: Path, expected: str) -> bool:
        """True when the key holds exactly these bytes (an idempotent retry); refuses other bytes."""
        if not final.exists():
            return False
        if final.is_dir():
            raise OfferError(f"offer {self.name}: {key}: already exists as a folder")
        try:
            if self.digest(key) == expected:
                return True
        except ObjectMissing:
            return False  # deleted meanwhile
        raise OfferError(
            f"offer {self.name}: {key}: already exists with different content; stored objects are "
            "immutable, a new version takes a new key"
        )

    def _make_folders(self, folder: Path) -> None:
        """Creates the missing folders one by one, syncing each parent so the new entries survive."""
        missing = []
        while not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for created in reversed(missing):
            try:
                created.mkdir()
            except FileExistsError:
                if not created.is_dir():
                    raise NotADirectoryError(errno.ENOTDIR, "a file is in the way", str(created)) from None
            _sync_folder(created.parent)

    def _temporary_path(self) -> Path:
        """Named after its writer (`token.pid.host`) so cleaning can tell a dead writer's leftovers."""
        return self._temporary / f"{secrets.token_hex(12)}.{os.getpid()}.{self._host}"

    def _write_readme(self) -> None:
        readme = self.root / README
        temporary = self._temporary_path()
        try:
            temporary.write_bytes(offer_readme())
            with contextlib.suppress(FileExistsError):  # another process wrote it first: same text
                os.link(temporary, readme)
        finally:
            temporary.unlink(missing_ok=True)

    # -- reading -----------------------------------------------------------------------------

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise ObjectMissing(f"offer {self.name}: no object {key}") from error
        except OSError as error:
            raise OfferError(f"offer {self.name}: {key}: cannot read: {error}") from error

    def digest(self, key: str) -> str:
        with self.open(key) as stream:
            try:
                return digest_stream(stream)["sha512"]
            except OSError as error:
                raise OfferError(f"offer {self.name}: {key}: cannot read: {error}") from error

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise ObjectMissing(f"offer {self.name}: no object {key}")
        return path.stat().st_size

    def list(self, prefix: str = "") -> Iterator[OfferEntry]:
        validate_prefix(prefix)
        folder, _, start = prefix.rpartition("/")
        base = self.root / folder if folder else self.root
        if base.is_dir():
            yield from self._walk(base, f"{folder}/" if folder else "", start)

    def _walk(self, folder: Path, key_prefix: str, start: str = "") -> Iterator[OfferEntry]:
        """Depth first, in key order: a folder sorts as its name followed by `/`, as its keys do."""
        try:
            with os.scandir(folder) as scan:
                entries = [
                    (entry.name + "/" if entry.is_dir(follow_symlinks=False) else entry.name, entry)
                    for entry in scan
                    if not entry.name.startswith(".") and not (key_prefix == "" and entry.name == README)
                ]
        except FileNotFoundError:
            return  # pruned by a concurrent delete
        for sort_name, entry in sorted(entries, key=lambda item: item[0]):
            if not sort_name.startswith(start):
                continue
            if sort_name.endswith("/"):
                yield from self._walk(Path(entry.path), key_prefix + sort_name)
            elif entry.is_file(follow_symlinks=False):
                try:
                    size = entry.stat(follow_symlinks=False).st_size
                except FileNotFoundError:
                    continue
                yield OfferEntry(key_prefix + entry.name, size)

    # -- removing ----------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return  # nothing there: a file standing where a folder of the key should be holds no object
        except OSError as error:
            raise OfferError(f"offer {self.name}: {key}: cannot delete: {error}") from error
        _sync_folder(path.parent)
        self._prune(path.parent)

    def _prune(self, folder: Path) -> None:
        """Removes folders a delete left empty, so disposals do not leave a tree of empty buckets."""
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                return  # not empty (or gone): a concurrent write keeps it
            _sync_folder(folder.parent)
            folder = folder.parent

    def clean_temporary(self) -> int:
        """Removes temporary files whose writer is dead (this host) or silent for a day (any host)."""
        removed = 0
        try:
            leftovers = list(self._temporary.iterdir())
        except FileNotFoundError:
            return 0
        for leftover in leftovers:
            if self._abandoned(leftover):
                leftover.unlink(missing_ok=True)
                removed += 1
        return removed

    def _abandoned(self, temporary: Path) -> bool:
        _, _, writer = temporary.name.partition(".")
        pid, _, host = writer.partition(".")
        if host == self._host and pid.isdigit() and not process_alive(int(pid)):
            return True
        try:
            return time.time() - temporary.stat().st_mtime > TEMPORARY_GRACE_SECONDS
        except FileNotFoundError:
            return False

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)


def _copy(source: BinaryIO, target: BinaryIO) -> None:
    """A plain read/write copy: never `copy_file_range`, which may share blocks (reflink) with
    the source on CoW filesystems and so leave one physical copy behind two offers."""
    while chunk := source.read(_CHUNK):
        target.write(chunk)


def _forget_cached_pages(stream: BinaryIO) -> None:
    """Drops the (clean, synced) cached pages so the verification reads what the device holds."""
    if hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):  # advisory only (e.g. some network filesystems)
            os.posix_fadvise(stream.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def _sync_folder(folder: Path) -> None:
    """Makes new or removed entries of a folder durable (POSIX needs the folder itself synced)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # platforms that cannot open folders sync entries with the file
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; they commit entries themselves
    finally:
        os.close(descriptor)
