"""An offer in an S3 bucket: the same keys as a folder offer, each object its original bytes.

An object's name in the bucket is the offer key, behind an optional prefix (`prefix =
"region-a"` gives `region-a/tenants/1/...`), so a bucket can be copied to a folder (or back)
with any S3 tool and read like a folder offer. `README.txt` sits at the prefix's root, written
once at the first write into a bucket and never replaced. Each object also carries its
SHA-512 as user metadata (`x-amz-meta-sha512`), for people and tools reading the bucket; the
offer itself decides only on the real bytes, which it reads back.

A write is verified and never replaces other bytes:
1. the bytes go with a conditional write (`If-None-Match: *`), which the server refuses when
   the key holds an object; the offer then reads it: the same bytes make the write an
   idempotent retry, other bytes are refused. The offer probes once whether the server
   honours the header (AWS since 2024, MinIO, moto do; a server that ignores it is detected
   and told in the log). A large source's key is read before sending (a retry does not send
   gigabytes again), and so is every key without conditional writes;
2. without them the offer falls back to check-then-write: two writers of one key at the
   same instant may then both succeed, the last one's bytes winning (the earlier one's
   read-back may then remove the later one's object, or be acknowledged while the key holds
   the later one's bytes: a fault the next audit reports). Archipel's keys are fresh UUIDv7
   ids written by one operation, so this takes two processes replaying the same write;
3. sources above `multipart_threshold` (or of unknown size: a pipe, a stream) go by multipart
   upload, hashed on the way: a source that does not match its SHA-512 is aborted before
   anything appears at the key. An S3 PUT or multipart completion is atomic: readers see no
   object or the whole object, never a part;
4. the object is read back in full (streaming, 1 MiB at a time) and its SHA-512 compared;
   a copy that does not match is deleted and `IntegrityFault` raised.
`restore` (an audit's repair) always goes by multipart upload, unconditional: the parts stay
invisible until the completion swaps them in at once, and the upload is aborted, leaving the
damaged copy as it was, when the source does not hash to the recorded SHA-512.

A writer killed mid-upload leaves an incomplete multipart upload (invisible, but billed).
`clean_temporary` aborts those silent for longer than `upload_grace_seconds` (a day by
default): silent means no part uploaded for that long, so a live writer is never disturbed.
(moto reports every upload as initiated in 2010: there, an upload's age is its last part's.)
A bucket lifecycle rule `AbortIncompleteMultipartUpload` does the same on the server side.

Listing: S3 lists keys in the order of their UTF-8 bytes, which is the order of their code
points, the order Python sorts `str` in and the filesystem offer lists in: the offers'
listings merge key by key (`archipel.storage.offer_audit`).

Per-tenant buckets (`tenant_bucket = "archipel-{tenant}"`): the keys of tenant n
(`tenants/n/...`, unchanged) go to the bucket the template names, everything else to
`bucket`. A tenant's archives can then get their own policy, quota or Object Lock; listing
across tenants finds the tenant buckets with ListBuckets.

Permissions the offer needs: s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket
(without it S3 answers 403 instead of 404 for a missing key), s3:ListBucketMultipartUploads,
s3:AbortMultipartUpload, s3:ListMultipartUploadParts; with per-tenant buckets s3:ListAllMyBuckets
(and s3:CreateBucket with `create_buckets`). On a versioned bucket a delete leaves the earlier
version behind: an elimination that must destroy bytes needs a rule expiring noncurrent versions.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import itertools
import logging
import math
import os
import re
import secrets
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from archipel.core.digests import digest_stream
from archipel.core.errors import ConfigurationError, IntegrityFault
from archipel.storage import offer as contract
from archipel.storage.filesystem import offer_readme
from archipel.storage.layout import TENANTS
from archipel.storage.offer import README, InvalidKey, ObjectMissing, OfferEntry, OfferError

log = logging.getLogger(__name__)

MiB = 1024 * 1024
CHUNK = MiB
"""Sources and objects are read this much at a time, whatever their size."""
MULTIPART_THRESHOLD = 64 * MiB
PART_SIZE = 16 * MiB
"""A writer holds one part in memory; S3 wants at least 5 MiB for every part but the last."""
MAX_PARTS = 10_000
"""S3's limit on the parts of one upload: a larger source of known size gets larger parts."""
UPLOAD_GRACE_SECONDS = 24 * 3600
SHA512_METADATA = "sha512"
HOUSEKEEPING = ".archipel"
"""Under the prefix, where the conditional-write probe writes: no valid key starts with a dot."""
_TENANT_KEY = re.compile(rf"^{TENANTS}/(0|[1-9][0-9]*)/")
_MISSING_CODES = {"NoSuchKey", "NoSuchBucket", "NoSuchUpload", "404", "NotFound"}
_PRECONDITION_FAILED = 412


class _Taken(Exception):
    """A conditional write found the key written by someone else first."""


# -- where keys go -------------------------------------------------------------------------------


class S3Location(NamedTuple):
    """One key's object: its bucket and its name there (the prefix, then the key)."""

    bucket: str
    """The shared bucket, or the tenant's own (`tenant_bucket`)."""
    name: str
    key: str

    def args(self) -> dict[str, str]:
        return {"Bucket": self.bucket, "Key": self.name}

    def __str__(self) -> str:
        return f"{self.key} (s3://{self.bucket}/{self.name})"


@dataclass(frozen=True)
class Placement:
    """Which bucket holds a key and under which name; no server involved, so tested alone."""

    bucket: str
    prefix: str = ""
    """Normalised to "" or `segments/`: a valid key path, so the bucket stays readable as folders."""
    tenant_bucket: str | None = None
    """A bucket name template with `{tenant}`; unset, every key goes to `bucket`."""
    _tenant_name: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        prefix = self.prefix.strip("/")
        object.__setattr__(self, "prefix", f"{contract.validate_key(prefix)}/" if prefix else "")
        if self.tenant_bucket is not None:
            before, marker, after = self.tenant_bucket.partition("{tenant}")
            if not marker or "{" in before + after or "}" in before + after:
                raise ConfigurationError(f"tenant bucket {self.tenant_bucket!r}: needs one {{tenant}}, alone")
            pattern = re.compile(f"{re.escape(before)}(0|[1-9][0-9]*){re.escape(after)}")
            object.__setattr__(self, "_tenant_name", pattern)

    def locate(self, key: str) -> S3Location:
        return S3Location(self.bucket_of(contract.validate_key(key)), self.prefix + key, key)

    def bucket_of(self, key: str) -> str:
        """The tenant's bucket for a tenant's key (a listing prefix too), else the shared one."""
        match = _TENANT_KEY.match(key)
        if self.tenant_bucket is None or match is None:
            return self.bucket
        return self.tenant_bucket_of(int(match[1]))

    def tenant_bucket_of(self, tenant: int) -> str:
        return str(self.tenant_bucket).replace("{tenant}", str(tenant))

    def tenant_of(self, bucket: str) -> int | None:
        """The tenant whose bucket this is, or None for any other bucket name."""
        match = self._tenant_name.fullmatch(bucket) if self._tenant_name else None
        return int(match[1]) if match else None

    def buckets_for(self, prefix: str, tenants: Callable[[], Iterable[int]]) -> list[str]:
        """The buckets that may hold keys starting with `prefix`; `tenants` (those having a bucket)
        is asked only for a listing across tenants."""
        roots = f"{TENANTS}/"
        if self.tenant_bucket is None or _TENANT_KEY.match(prefix):
            return [self.bucket_of(prefix)]
        if not (roots.startswith(prefix) or prefix.startswith(roots)):
            return [self.bucket]
        reached = sorted(
            f"{roots}{tenant}/" for tenant in tenants() if f"{roots}{tenant}/".startswith(prefix)
        )
        return [self.bucket, *(self.bucket_of(root) for root in reached)]  # in key order

    def key_of(self, bucket: str, name: str) -> str | None:
        """The key an object name stands for, or None for what is not an archive object here
        (README, housekeeping, console "folder" markers, keys placed in another bucket)."""
        if not name.startswith(self.prefix):
            return None
        key = name[len(self.prefix) :]
        try:
            contract.validate_key(key)
        except InvalidKey:
            return None
        return key if self.bucket_of(key) == bucket else None


@dataclass(frozen=True)
class S3Connection:
    """How to reach the server; credentials unset fall back to boto3's chain (environment,
    `~/.aws`, instance or container role)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    addressing_style: str = "auto"
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    """Attempts per request, retries included (botocore's `standard` mode: throttling, 5xx,
    connection errors, with exponential back-off)."""

    def client(self) -> Any:
        config = Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
            s3={"addressing_style": self.addressing_style},
        )
        return _new_client(
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=config,
        )


_sessions: dict[int, Any] = {}
_sessions_lock = threading.Lock()


def _new_client(**options: Any) -> Any:
    """An S3 client from the process's one boto3 session: a new session loads the S3 service
    description again (a tenth of a second per client). Sessions are not thread-safe, hence the
    lock (clients are); a forked child makes its own."""
    with _sessions_lock:
        session = _sessions.get(os.getpid())
        if session is None:
            _sessions.clear()
            session = _sessions[os.getpid()] = boto3.session.Session()
        return session.client("s3", **options)


# -- the offer -----------------------------------------------------------------------------------


class S3Offer:
    """An offer in one bucket (or one per tenant); safe for threads, and for processes sharing it."""

    def __init__(
        self,
        name: str,
        placement: Placement,
        connection: S3Connection | None = None,
        *,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_size: int = PART_SIZE,
        conditional_writes: bool | None = None,
        create_buckets: bool = False,
        upload_grace_seconds: float = UPLOAD_GRACE_SECONDS,
    ) -> None:
        """Connects to nothing: the client is made at first use, in each process (a client made
        before a fork must not be shared with the children), and buckets are prepared at the
        first write into them. `conditional_writes` None: probed at the first write."""
        self.name = name
        self.placement = placement
        self.connection = connection or S3Connection()
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        self.create_buckets = create_buckets
        self.upload_grace_seconds = upload_grace_seconds
        self._conditional_writes = conditional_writes
        self._prepared: set[str] = set()
        self._prepare_lock = threading.Lock()
        self._client_lock = threading.Lock()
        self._s3: Any = None
        self._s3_pid = 0

    def __repr__(self) -> str:
        return f"S3Offer({self.name!r}, {self.placement.bucket!r}, prefix={self.placement.prefix!r})"

    @property
    def _client(self) -> Any:
        with self._client_lock:
            if self._s3 is None or self._s3_pid != os.getpid():
                self._s3, self._s3_pid = self.connection.client(), os.getpid()
            return self._s3

    # -- writing -----------------------------------------------------------------------------

    def put(self, key: str, source: Path | bytes, sha512: str) -> None:
        where = self.placement.locate(key)
        expected = contract.validate_sha512(sha512)
        self._prepare(where)
        sent_whole = self._one_request(_size_of(source))
        if not (sent_whole and self._conditional_writes) and self._already_holds(where, expected):
            return  # a retry of a large source does not send it again
        condition = {"IfNoneMatch": "*"} if self._conditional_writes else {}
        try:
            self._store(where, source, expected, condition)
        except _Taken:
            if self._already_holds(where, expected):  # refuses other bytes
                return
            raise OfferError(
                f"offer {self.name}: {where}: written and deleted by another writer meanwhile"
            ) from None
        self._verify(where, expected)

    def restore(self, key: str, source: Path | bytes | BinaryIO, sha512: str) -> bool:
        """Puts the verified bytes back under `key` over a damaged or missing copy (see `Offer.restore`).

        Returns False, touching nothing, when the key already holds bytes matching `sha512`.
        Always a multipart upload: its parts take the key only at the completion, all at once,
        and only once the source has hashed to `sha512`.
        """
        where = self.placement.locate(key)
        expected = contract.validate_sha512(sha512)
        if self._holds(where, expected):
            return False
        self._prepare(where)
        with self._source(where, source) as (stream, size):
            self._put_multipart(where, stream, size, expected, {})
        self._verify(where, expected, remove=False)
        return True

    def _store(
        self, where: S3Location, source: Path | bytes, expected: str, condition: dict[str, str]
    ) -> None:
        """Sends the bytes: one PUT for small sources, a multipart upload for large or unsized ones."""
        with self._source(where, source) as (stream, size):
            if self._one_request(size):
                with self._calling(where, "write"):
                    self._client.put_object(
                        **where.args(),
                        Body=stream,
                        ContentLength=size,
                        Metadata={SHA512_METADATA: expected},
                        **condition,
                    )
            else:
                self._put_multipart(where, stream, size, expected, condition)

    def _one_request(self, size: int | None) -> bool:
        """Whether a source of this size (None: unknown) goes in one PUT rather than in parts."""
        return size is not None and size <= self.multipart_threshold

    def _put_multipart(
        self, where: S3Location, stream: BinaryIO, size: int | None, expected: str, condition: dict[str, str]
    ) -> None:
        """Uploads part after part, hashing; completes only a source that matches `expected`."""
        hasher = hashlib.sha512()
        upload: dict[str, Any] | None = None
        try:
            parts = []
            for number, part in enumerate(self._parts(where, stream, size, hasher), start=1):
                if upload is None:  # created with the first part in hand: an upload is never idle long
                    upload = self._create_upload(where, expected)
                parts.append(self._upload_part(where, upload, number, part))
            actual = hasher.hexdigest()
            if actual != expected:
                raise IntegrityFault(
                    f"offer {self.name}: {where}: the source has SHA-512 {actual[:16]}…, expected "
                    f"{expected[:16]}…; nothing was stored"
                )
            with self._calling(where, "multipart completion"):
                self._client.complete_multipart_upload(
                    **where.args(), UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}, **condition
                )
        except BaseException:
            if upload is not None:
                self._abort(where.bucket, where.name, upload["UploadId"])
            raise

    def _parts(self, where: S3Location, stream: BinaryIO, size: int | None, hasher: Any) -> Iterator[bytes]:
        """The source cut in parts (at least one, maybe empty), read a chunk at a time and hashed."""
        part_size = self.part_size
        if size is not None and size > part_size * MAX_PARTS:
            part_size = math.ceil(size / MAX_PARTS / MiB) * MiB
        for number in itertools.count(1):
            part = self._read_part(where, stream, part_size, hasher)
            if part or number == 1:
                if number > MAX_PARTS:
                    too_large = f"source larger than {MAX_PARTS} parts of {part_size} bytes"
                    raise OfferError(f"offer {self.name}: {where}: {too_large}")
                yield part
            if len(part) < part_size:
                return

    def _read_part(self, where: S3Location, stream: BinaryIO, part_size: int, hasher: Any) -> bytes:
        chunks: list[bytes] = []
        filled = 0
        while filled < part_size and (
            chunk := self._read_source(where, stream, min(CHUNK, part_size - filled))
        ):
            hasher.update(chunk)
            chunks.append(chunk)
            filled += len(chunk)
        return b"".join(chunks)

    def _read_source(self, where: S3Location, stream: BinaryIO, size: int) -> bytes:
        try:
            return stream.read(size)
        except OSError as error:
            raise OfferError(f"offer {self.name}: {where}: cannot read the source: {error}") from error

    def _create_upload(self, where: S3Location, expected: str) -> dict[str, Any]:
        with self._calling(where, "multipart upload"):
            return cast(
                dict[str, Any],
                self._client.create_multipart_upload(**where.args(), Metadata={SHA512_METADATA: expected}),
            )

    def _upload_part(
        self, where: S3Location, upload: dict[str, Any], number: int, part: bytes
    ) -> dict[str, Any]:
        with self._calling(where, f"upload of part {number}"):
            sent = self._client.upload_part(
                **where.args(), UploadId=upload["UploadId"], PartNumber=number, Body=part
            )
        done = {"PartNumber": number, "ETag": sent["ETag"]}
        if algorithm := upload.get("ChecksumAlgorithm"):  # declared at creation: the server wants them back
            done[f"Checksum{algorithm}"] = sent[f"Checksum{algorithm}"]
        return done

    def _abort(self, bucket: str, name: str, upload_id: str) -> bool:
        """Aborts an upload; False when it was gone already. Never raises: it runs on failure paths,
        and an upload it could not abort is cleaned later (`clean_temporary`)."""
        try:
            self._client.abort_multipart_upload(Bucket=bucket, Key=name, UploadId=upload_id)
        except ClientError as error:
            if _code(error) not in _MISSING_CODES:
                log.warning(
                    "offer %s: s3://%s/%s: upload %s not aborted: %s",
                    self.name,
                    bucket,
                    name,
                    upload_id,
                    error,
                )
            return False
        except BotoCoreError as error:
            log.warning(
                "offer %s: s3://%s/%s: upload %s not aborted: %s", self.name, bucket, name, upload_id, error
            )
            return False
        return True

    def _verify(self, where: S3Location, expected: str, remove: bool = True) -> None:
        """Reads the stored object back; a copy that does not match is removed (by `put`, whose write
        made it) or left for the next audit (by `restore`, which replaced a copy already damaged)."""
        try:
            actual = self._digest_at(where)
        except BaseException:
            if remove:  # not verified, not kept: a retry writes it again
                with suppress(OfferError):
                    self._delete_at(where)
            raise
        if actual == expected:
            return
        if remove:
            self._delete_at(where)
        raise IntegrityFault(
            f"offer {self.name}: {where}: the copy read back has SHA-512 {actual[:16]}…, expected "
            f"{expected[:16]}…; " + ("the copy was removed" if remove else "left for the next audit")
        )

    def _already_holds(self, where: S3Location, expected: str) -> bool:
        """True when the key holds exactly these bytes (an idempotent retry); refuses other bytes."""
        try:
            if self._digest_at(where) == expected:
                return True
        except ObjectMissing:
            return False
        raise OfferError(
            f"offer {self.name}: {where}: already exists with different content; stored objects are "
            "immutable, a new version takes a new key"
        )

    def _holds(self, where: S3Location, expected: str) -> bool:
        """Whether the key holds a readable copy matching `expected` (a copy that cannot be read does not)."""
        try:
            return self._digest_at(where) == expected
        except OfferError:
            return False

    @contextmanager
    def _source(
        self, where: S3Location, source: Path | bytes | BinaryIO
    ) -> Iterator[tuple[BinaryIO, int | None]]:
        """The source as a stream, and its size when known (a regular file, bytes)."""
        if isinstance(source, bytes | bytearray | memoryview):
            yield io.BytesIO(source), len(source)
        elif isinstance(source, Path | str):
            try:
                with Path(source).open("rb") as stream:
                    status = os.fstat(stream.fileno())
                    yield stream, status.st_size if stat.S_ISREG(status.st_mode) else None
            except OSError as error:  # what reads the stream turns its own errors into OfferError
                raise OfferError(f"offer {self.name}: {where}: cannot read the source: {error}") from error
        else:
            yield source, None

    # -- buckets -----------------------------------------------------------------------------

    def _prepare(self, where: S3Location) -> None:
        """Once per bucket and process, before the first write: the bucket (with `create_buckets`),
        whether the server honours conditional writes, and the README."""
        bucket = where.bucket
        with self._prepare_lock:
            if bucket in self._prepared:
                return
            try:
                if self.create_buckets:
                    self._create_bucket(bucket)
                if self._conditional_writes is None:
                    self._conditional_writes = self._probe_conditional_writes(bucket)
                self._write_readme(bucket)
            except OfferError as error:  # named after the write it stopped, not only the bucket's README
                raise OfferError(f"offer {self.name}: {where}: write failed: {error.message}") from error
            self._prepared.add(bucket)

    def _create_bucket(self, bucket: str) -> None:
        where = f"bucket s3://{bucket}"
        with self._calling(where, "bucket check"):
            try:
                self._client.head_bucket(Bucket=bucket)
                return
            except ClientError as error:
                if _code(error) not in _MISSING_CODES:
                    raise
        region = self.connection.region
        location = (
            {"CreateBucketConfiguration": {"LocationConstraint": region}}
            if region not in (None, "us-east-1")
            else {}
        )
        with self._calling(where, "bucket creation"):
            try:
                self._client.create_bucket(Bucket=bucket, **location)
            except ClientError as error:
                if _code(error) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise
        log.info("offer %s: created bucket %s", self.name, bucket)

    def _probe_conditional_writes(self, bucket: str) -> bool:
        """Whether a second write with `If-None-Match: *` is refused: some servers ignore the header."""
        probe = S3Location(
            bucket, f"{self.placement.prefix}{HOUSEKEEPING}/probe-{secrets.token_hex(8)}", "probe"
        )
        with self._calling(probe, "conditional-write probe"):
            self._client.put_object(**probe.args(), Body=b"")
            try:
                self._client.put_object(**probe.args(), Body=b"", IfNoneMatch="*")
                supported = False
            except ClientError as error:
                if _status(error) not in (_PRECONDITION_FAILED, 400, 501):
                    raise
                supported = _status(error) == _PRECONDITION_FAILED
            finally:
                self._client.delete_object(**probe.args())
        if not supported:
            log.warning(
                "offer %s: the server ignores conditional writes: falling back to check-then-write "
                "(two writers of one key at the same instant may both succeed)",
                self.name,
            )
        return supported

    def _write_readme(self, bucket: str) -> None:
        """The offer's description at the prefix's root; one already there is kept (it may be an
        archivist's notes), one written meanwhile by another process is the same text."""
        where = S3Location(bucket, self.placement.prefix + README, README)
        if self._head(where) is not None:
            return
        condition = {"IfNoneMatch": "*"} if self._conditional_writes else {}
        with suppress(_Taken), self._calling(where, "README write"):
            self._client.put_object(
                **where.args(), Body=offer_readme(), ContentType="text/plain; charset=utf-8", **condition
            )

    def _tenants(self) -> list[int]:
        """The tenants that have a bucket (per-tenant buckets only)."""
        with self._calling(f"buckets of {self.placement.tenant_bucket}", "bucket listing"):
            buckets = self._client.list_buckets().get("Buckets", [])
        tenants = (self.placement.tenant_of(bucket["Name"]) for bucket in buckets)
        return [tenant for tenant in tenants if tenant is not None]

    # -- reading -----------------------------------------------------------------------------

    def open(self, key: str) -> BinaryIO:
        return self._open_at(self.placement.locate(key))

    def _open_at(self, where: S3Location) -> BinaryIO:
        with self._calling(where, "read"):
            body = self._client.get_object(**where.args())["Body"]
        return cast(BinaryIO, _ObjectStream(body, lambda error: self._failure(where, "read", error)))

    def digest(self, key: str) -> str:
        return self._digest_at(self.placement.locate(key))

    def _digest_at(self, where: S3Location) -> str:
        with self._open_at(where) as stream:
            return digest_stream(stream)["sha512"]

    def exists(self, key: str) -> bool:
        return self._head(self.placement.locate(key)) is not None

    def size(self, key: str) -> int:
        where = self.placement.locate(key)
        head = self._head(where)
        if head is None:
            raise ObjectMissing(f"offer {self.name}: no object {where}")
        return int(head["ContentLength"])

    def _head(self, where: S3Location) -> dict[str, Any] | None:
        try:
            with self._calling(where, "check"):
                return cast(dict[str, Any], self._client.head_object(**where.args()))
        except ObjectMissing:
            return None

    def list(self, prefix: str = "") -> Iterator[OfferEntry]:
        contract.validate_prefix(prefix)
        buckets = self.placement.buckets_for(prefix, self._tenants)
        yield from heapq.merge(*(self._list_bucket(bucket, prefix) for bucket in buckets))

    def _list_bucket(self, bucket: str, prefix: str) -> Iterator[OfferEntry]:
        """One bucket's keys under `prefix`, page after page (S3 gives them sorted, 1,000 a page)."""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=self.placement.prefix + prefix
        )
        try:
            with self._calling(f"listing {prefix!r} (s3://{bucket}/{self.placement.prefix})", "listing"):
                for page in pages:
                    for item in page.get("Contents", ()):
                        if (key := self.placement.key_of(bucket, item["Key"])) is not None:
                            yield OfferEntry(key, int(item["Size"]))
        except ObjectMissing:
            if bucket == self.placement.bucket:
                raise
            # a tenant without a bucket yet holds nothing

    # -- removing ----------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        self._delete_at(self.placement.locate(key))

    def _delete_at(self, where: S3Location) -> None:
        with suppress(ObjectMissing), self._calling(where, "delete"):
            self._client.delete_object(**where.args())

    def clean_temporary(self) -> int:
        """Aborts the multipart uploads silent for longer than the grace period, in every bucket of
        the offer, and removes stale probes; returns how many."""
        removed = 0
        for bucket in self.placement.buckets_for("", self._tenants):
            removed += sum(
                self._abort(bucket, upload["Key"], upload["UploadId"])
                for upload in self._stale_uploads(bucket)
            )
            removed += self._remove_stale_probes(bucket)
        return removed

    def _stale_uploads(self, bucket: str) -> Iterator[dict[str, Any]]:
        pages = self._client.get_paginator("list_multipart_uploads").paginate(
            Bucket=bucket, Prefix=self.placement.prefix
        )
        with self._calling(f"uploads (s3://{bucket}/{self.placement.prefix})", "upload listing"):
            for page in pages:
                for upload in page.get("Uploads", ()):
                    if self._silent(upload["Initiated"]) and self._silent(self._last_part(bucket, upload)):
                        yield upload

    def _last_part(self, bucket: str, upload: dict[str, Any]) -> datetime:
        """When the upload last received a part (its start when it has none)."""
        pages = self._client.get_paginator("list_parts").paginate(
            Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
        )
        latest: datetime = upload["Initiated"]
        with (
            suppress(ObjectMissing),
            self._calling(f"upload of s3://{bucket}/{upload['Key']}", "part listing"),
        ):
            for page in pages:
                latest = max([latest, *(part["LastModified"] for part in page.get("Parts", ()))])
        return latest

    def _remove_stale_probes(self, bucket: str) -> int:
        folder = f"{self.placement.prefix}{HOUSEKEEPING}/"
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
        stale = []
        with self._calling(f"housekeeping (s3://{bucket}/{folder})", "listing"):
            for page in pages:
                stale += [
                    item["Key"] for item in page.get("Contents", ()) if self._silent(item["LastModified"])
                ]
        for name in stale:
            self._delete_at(S3Location(bucket, name, "probe"))
        return len(stale)

    def _silent(self, moment: datetime) -> bool:
        return (datetime.now(UTC) - moment).total_seconds() > self.upload_grace_seconds

    # -- failures ----------------------------------------------------------------------------

    @contextmanager
    def _calling(self, where: S3Location | str, doing: str) -> Iterator[None]:
        """Turns what boto3 raises into the offer's errors, each naming the offer, bucket and key."""
        try:
            yield
        except ClientError as error:
            if _code(error) in _MISSING_CODES:
                missing = "no such bucket" if _code(error) == "NoSuchBucket" else "no object"
                raise ObjectMissing(f"offer {self.name}: {missing}: {where}") from error
            if _status(error) == _PRECONDITION_FAILED:
                raise _Taken() from error
            raise self._failure(where, doing, error) from error
        except (BotoCoreError, OSError) as error:
            raise self._failure(where, doing, error) from error

    def _failure(self, where: S3Location | str, doing: str, error: Exception) -> OfferError:
        return OfferError(f"offer {self.name}: {where}: {doing} failed: {error}")


class _ObjectStream(io.RawIOBase):
    """An object's body as a read-only stream whose failures are `OfferError`s naming the object
    (botocore's own read errors are neither `OSError` nor the offer's)."""

    def __init__(self, body: Any, failure: Callable[[Exception], OfferError]) -> None:
        super().__init__()
        self._body = body
        self._failure = failure

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        try:
            return cast(bytes, self._body.read(None if size is None or size < 0 else size))
        except (BotoCoreError, OSError) as error:
            raise self._failure(error) from error

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _size_of(source: Path | bytes) -> int | None:
    """The size of bytes or of a regular file; None for a pipe, or a file that cannot be read (the
    write then says why)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return len(source)
    try:
        status = Path(source).stat()
    except OSError:
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
