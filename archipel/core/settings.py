"""One validated settings object, built once at start-up and passed down.

Values come, weakest first, from the defaults, `$ARCHIPEL_HOME/archipel.toml`, then
`ARCHIPEL_*` environment variables. Engines (database, offers, task runner) are chosen
here and nowhere else: scaling out is a configuration change, never a code edit.
"""

from __future__ import annotations

import json
import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator

from archipel.core.errors import ConfigurationError

SETTINGS_FILE = "archipel.toml"


class OfferSettings(BaseModel):
    """A storage offer: a place that holds a full copy of the archives, a folder or an S3 bucket.

    The S3 fields (`archipel.storage.s3`) are read for `kind = "s3"` only.
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    kind: Literal["filesystem", "s3"] = "filesystem"
    path: Path | None = None
    """filesystem: the folder; relative to the home, `offers/{name}` when unset."""
    endpoint_url: str | None = None
    """s3: the server (`https://s3.example.org`); unset, AWS's endpoint for `region`."""
    bucket: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    """s3: the bucket (required), where every key goes unless `tenant_bucket` is set."""
    tenant_bucket: str | None = Field(default=None, pattern=r"^[a-z0-9.-]*\{tenant\}[a-z0-9.-]*$")
    """s3: a bucket per tenant, named by this template (`archipel-{tenant}`): keys `tenants/{n}/…` go
    to the tenant's bucket, any other key to `bucket`. Listing across tenants then uses ListBuckets."""
    prefix: str = ""
    """s3: object names are `{prefix}/{key}` (e.g. a platform or region name); empty: the key alone."""
    region: str | None = None
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    """s3: both or neither; unset, boto3's chain (AWS_* variables, ~/.aws, instance role)."""
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    conditional_writes: bool | None = None
    """s3: whether the server honours `If-None-Match: *`; unset, probed at the first write."""
    create_buckets: bool = False
    """s3: create a missing bucket at its first write (a new tenant's, with `tenant_bucket`)."""
    multipart_threshold: int = Field(default=64 * 1024**2, ge=0)
    """s3: a file larger than this goes by multipart upload."""
    part_size: int = Field(default=16 * 1024**2, ge=5 * 1024**2, le=5 * 1024**3)
    """s3: bytes per part (S3's bounds); each writer holds one part in memory."""
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    """s3: attempts per request, retries included (botocore `standard` mode)."""
    upload_grace_seconds: float = Field(default=24 * 3600.0, ge=0)
    """s3: an interrupted multipart upload silent this long is aborted by `clean_temporary`."""

    @model_validator(mode="after")
    def _check_kind(self) -> OfferSettings:
        if self.kind == "s3":
            if not self.bucket:
                raise ValueError(f"offer {self.name}: an s3 offer needs a bucket")
            if self.path is not None:
                raise ValueError(f"offer {self.name}: `path` is for filesystem offers, not s3 ones")
            if (self.access_key_id is None) != (self.secret_access_key is None):
                raise ValueError(f"offer {self.name}: give access_key_id and secret_access_key, or neither")
        return self


class ZipLimits(BaseModel):
    """Bounds on an uploaded SIP, so a crafted ZIP cannot fill the disk (zip bomb)."""

    max_entries: int = 200_000
    max_total_bytes: int = 64 * 1024**3
    max_entry_bytes: int = 32 * 1024**3
    max_ratio: float = 200.0


class Tariff(BaseModel):
    """What an organisation pays each month (`archipel.admin.billing`), in `currency`; decimals, never
    floats (write amounts as strings in TOML: `price_per_gb_month = "0.12"`). The default of the
    platform; an organisation's own is in `tariffs.toml` under the home (`archipel.admin.tariff`)."""

    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    fixed_fee: Decimal = Field(default=Decimal("0"), ge=0)
    """Per organisation and month, whatever it holds."""
    price_per_gb_month: Decimal = Field(default=Decimal("0"), ge=0)
    """Per GB (10^9 bytes) held at the end of the month, per tenant."""
    price_per_unit: Decimal = Field(default=Decimal("0"), ge=0)
    """Per archive unit held at the end of the month, per tenant."""


class Settings(BaseModel):
    """Everything an instance needs to run, resolved to absolute paths."""

    home: Path
    database_url: str = ""
    offers: list[OfferSettings] = Field(default_factory=list)
    zip: ZipLimits = Field(default_factory=ZipLimits)
    workers: int = Field(default=2, ge=1, le=64)
    """Background operations run at once: threads of this process, or of each `archipel worker`."""
    task_runner: Literal["in-process", "celery"] = "in-process"
    """Where background operations run: threads of the API process, or Celery workers
    (`archipel worker`) fed through `broker_url` (`archipel.tasks.runner`)."""
    broker_url: SecretStr | None = None
    """The Celery broker: `amqp://user:password@host:5672//` (RabbitMQ) or `redis://host:6379/0`.
    Secret, since it may carry a password."""
    task_queue: str = Field(default="archipel", pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    """The queue the API sends to and the workers read; instances sharing a broker need their own."""
    database_wait_seconds: float = Field(default=300.0, ge=0)
    """How long background work that failed because the database went away keeps trying to close
    its operation (rolled back, FATAL) once the database is back (`archipel.tasks.execution`)."""
    max_upload_bytes: int = 64 * 1024**3
    demo: bool = True
    classification_levels: list[str] = Field(
        default_factory=lambda: ["Non protégé", "Confidentiel Défense", "Secret Défense"]
    )
    """Levels a `ClassificationRule` may carry: protection levels are a national matter set per
    platform, not a tenant referential (the reference system's `classificationLevel` setting)."""
    tsa_url: str | None = None
    """An external RFC 3161 time-stamping authority (HTTP); unset, the local TSA made at init signs."""
    tsa_certificates: Path | None = None
    """PEM file of the certificates trusted to sign time-stamp tokens besides the local TSA's
    (the external TSA's certificate or its issuer); relative paths are under the home."""
    tsa_timeout: float = Field(default=30.0, gt=0)
    securing_interval_minutes: float = Field(default=0.0, ge=0)
    """Every tenant's logbooks are secured this often (0: only on demand), by `archipel serve`
    with the in-process runner, by the workers with Celery (`archipel.tasks.maintenance`)."""
    rollback_retry_minutes: float = Field(default=5.0, ge=0)
    """How often deletions an offer refused during a rollback are tried again (0: at start only)."""
    identity_provider: Literal["local", "oidc"] = "local"
    """Who vouches for a Bearer token besides this instance (which signs them at sign-in):
    `oidc`, a city's OpenID Connect provider too (`archipel.admin.tokens.token_verifier`)."""
    oidc_issuer: str | None = None
    """The provider's `iss` (its issuer URL), as its discovery document says."""
    oidc_audience: str | None = None
    """The `aud` its tokens carry for Archipel: the client id Archipel is registered under."""
    oidc_jwks_url: str | None = None
    """Where its signing keys are published (`jwks_uri` of its discovery document)."""
    oidc_login_claim: str = "preferred_username"
    """The claim naming the person by their Archipel login (`email`, `upn`... as the city's
    directory has it); the user must exist here and hold roles, given by a tenant admin."""
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    """The signature algorithms accepted from the provider (never `none`, never HS*)."""
    jwt_secret: SecretStr | None = None
    """Signs the access tokens; unset, a random one made at init is kept in `jwt-secret` under the
    home (mode 600). Never printed: `SecretStr` hides it from reprs and logs."""
    token_minutes: float = Field(default=60.0, gt=0, le=24 * 60)
    """How long an access token is accepted after sign-in."""
    session_cookie_secure: bool = False
    """Mark the portal's session cookie `Secure` even on requests that arrived over plain HTTP
    (behind a TLS-terminating balancer that does not say so); over HTTPS it always is."""
    login_max_failures: int = Field(default=5, ge=1)
    """Failed sign-ins of one login within `login_lockout_minutes` that lock it."""
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    login_attempts_per_minute: int = Field(default=30, ge=1)
    """Sign-in attempts one client address may make per minute, whatever the logins."""
    tariff: Tariff = Field(default_factory=Tariff)
    """The default tariff of volumetry billing (`archipel.admin.billing`)."""

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        self.home = self.home.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'archipel.db'}"
        if not self.offers:
            self.offers = [OfferSettings(name="offer-1"), OfferSettings(name="offer-2")]
        for offer in self.offers:
            if offer.kind == "filesystem" and offer.path is None:
                offer.path = self.home / "offers" / offer.name
            elif offer.path is not None and not offer.path.is_absolute():
                offer.path = self.home / offer.path
        if self.tsa_certificates is not None and not self.tsa_certificates.is_absolute():
            self.tsa_certificates = self.home / self.tsa_certificates
        if self.jwt_secret is not None and len(self.jwt_secret.get_secret_value()) < 32:
            raise ValueError("jwt_secret must be at least 32 characters (or unset: one is generated)")
        if self.identity_provider == "oidc":
            _check_oidc(self)
        if self.task_runner == "celery" and self.broker_url is None:
            raise ValueError("task_runner = 'celery' needs a broker_url (amqp://... or redis://...)")
        names = [offer.name for offer in self.offers]
        if len(set(names)) != len(names):
            raise ValueError(f"offer names must be unique, got {names}")
        return self

    @property
    def work_dir(self) -> Path:
        """Scratch space for uploads and unpacked SIPs; never the archive itself."""
        return self.home / "work"

    @property
    def tsa_dir(self) -> Path:
        """The local time-stamping authority's key and certificate (`archipel.logbook.tsa`)."""
        return self.home / "tsa"

    @property
    def jwt_secret_file(self) -> Path:
        """Where the generated token-signing secret is kept when `jwt_secret` is not set."""
        return self.home / "jwt-secret"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


OIDC_REQUIRED = ("oidc_issuer", "oidc_audience", "oidc_jwks_url")


def _check_oidc(settings: Settings) -> None:
    missing = [name for name in OIDC_REQUIRED if not getattr(settings, name)]
    if missing:
        raise ValueError(f"identity_provider = 'oidc' needs {', '.join(missing)}")
    if any(name.lower() == "none" or name.upper().startswith("HS") for name in settings.oidc_algorithms):
        raise ValueError(
            "oidc_algorithms: a provider signs with its own key (RS*, ES*, PS*), never HS* or none"
        )


_ENV_SCALARS = (
    "database_url",
    "workers",
    "max_upload_bytes",
    "demo",
    "tsa_url",
    "tsa_certificates",
    "securing_interval_minutes",
    "rollback_retry_minutes",
    "jwt_secret",
    "token_minutes",
    "session_cookie_secure",
    "identity_provider",
    "oidc_issuer",
    "oidc_audience",
    "oidc_jwks_url",
    "oidc_login_claim",
    "task_runner",
    "broker_url",
    "task_queue",
    "database_wait_seconds",
)


def load_settings(home: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings of the instance at `home` (or `$ARCHIPEL_HOME`, or `./archipel-data`)."""
    root = Path(home or os.environ.get("ARCHIPEL_HOME") or "archipel-data")
    values: dict[str, Any] = {}
    settings_file = root / SETTINGS_FILE
    if settings_file.is_file():
        try:
            values.update(tomllib.loads(settings_file.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as error:
            raise ConfigurationError(f"{settings_file}: not valid TOML ({error})") from error
    for name in _ENV_SCALARS:
        env_value = os.environ.get(f"ARCHIPEL_{name.upper()}")
        if env_value is not None:
            values[name] = env_value
    if "ARCHIPEL_OFFERS" in os.environ:
        values["offers"] = json.loads(os.environ["ARCHIPEL_OFFERS"])
    values.update(overrides)
    values["home"] = root
    try:
        return Settings(**values)
    except ValidationError as error:
        raise ConfigurationError(f"invalid settings: {error}") from error
