"""Which tariff an organisation is billed at: the platform's default, or its own.

The default is the `tariff` table of the settings (`archipel.core.settings.Tariff`). An
organisation whose contract says otherwise has a table of its own, by its name, in
`tariffs.toml` under the home; what it leaves out is the default's:

    ["Métropole"]
    fixed_fee = "150.00"
    price_per_gb_month = "0.08"

A file rather than a table of the database: tariffs are a contract the platform's
administrators change rarely, review in a text editor and keep under version control with
the rest of the instance's configuration; and a past month is billed again at the tariff
written in the file at the time, which is the administrator's to keep.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archipel.core.errors import ConfigurationError
from archipel.core.settings import Settings, Tariff

TARIFFS_FILE = "tariffs.toml"


def tariffs_file(settings: Settings) -> Path:
    return settings.home / TARIFFS_FILE


def tariff_for(settings: Settings, organisation: str) -> Tariff:
    """The organisation's tariff; ConfigurationError naming the file when it is malformed."""
    path = tariffs_file(settings)
    own = _read(path).get(organisation, {})
    if not isinstance(own, dict):
        raise ConfigurationError(f"{path}: [{organisation!r}] must be a table of prices")
    unknown = sorted(set(own) - set(Tariff.model_fields))
    if unknown:
        known = ", ".join(Tariff.model_fields)
        raise ConfigurationError(f"{path}: [{organisation!r}] has unknown keys {unknown} (known: {known})")
    try:
        return Tariff.model_validate({**settings.tariff.model_dump(), **own})
    except ValidationError as error:
        raise ConfigurationError(f"{path}: tariff of {organisation!r} is invalid ({error})") from error


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path}: not valid TOML ({error})") from error
