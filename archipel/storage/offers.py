"""Offers made from their settings: the one place that knows every kind of offer."""

from __future__ import annotations

from pydantic import SecretStr

from archipel.core.errors import ConfigurationError
from archipel.core.settings import OfferSettings
from archipel.storage.filesystem import FileSystemOffer
from archipel.storage.offer import Offer


def build_offer(settings: OfferSettings) -> Offer:
    """The offer the settings describe (validated by `OfferSettings`; paths resolved by `Settings`)."""
    if settings.kind == "s3":
        return _s3_offer(settings)
    if settings.path is None:
        raise ConfigurationError(f"offer {settings.name}: a filesystem offer needs a path")
    return FileSystemOffer(settings.name, settings.path)


def _s3_offer(settings: OfferSettings) -> Offer:
    """Imported here: boto3 costs a third of a second at every command's start, and an instance
    with folder offers only never needs it."""
    from archipel.storage.s3 import Placement, S3Connection, S3Offer

    if settings.bucket is None:
        raise ConfigurationError(f"offer {settings.name}: an s3 offer needs a bucket")
    connection = S3Connection(
        endpoint_url=settings.endpoint_url,
        region=settings.region,
        access_key_id=_revealed(settings.access_key_id),
        secret_access_key=_revealed(settings.secret_access_key),
        addressing_style=settings.addressing_style,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_attempts=settings.max_attempts,
    )
    return S3Offer(
        settings.name,
        Placement(settings.bucket, settings.prefix, settings.tenant_bucket),
        connection,
        multipart_threshold=settings.multipart_threshold,
        part_size=settings.part_size,
        conditional_writes=settings.conditional_writes,
        create_buckets=settings.create_buckets,
        upload_grace_seconds=settings.upload_grace_seconds,
    )


def _revealed(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None
