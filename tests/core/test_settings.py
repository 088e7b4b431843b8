"""Settings come from defaults, then archipel.toml, then ARCHIPEL_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from archipel.core.errors import ConfigurationError
from archipel.core.settings import load_settings


def test_defaults_give_an_embedded_instance_with_two_filesystem_offers(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'archipel.db'}"
    assert [(offer.name, offer.path) for offer in settings.offers] == [
        ("offer-1", tmp_path.resolve() / "offers" / "offer-1"),
        ("offer-2", tmp_path.resolve() / "offers" / "offer-2"),
    ]


def test_toml_file_then_environment_override_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "archipel.toml").write_text('workers = 5\n[[offers]]\nname = "nas"\npath = "/mnt/nas"\n')
    monkeypatch.setenv("ARCHIPEL_WORKERS", "7")
    settings = load_settings(tmp_path)
    assert settings.workers == 7
    assert [offer.name for offer in settings.offers] == ["nas"]


def test_a_broken_settings_file_is_a_configuration_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "archipel.toml").write_text("workers = = 2")
    with pytest.raises(ConfigurationError, match=r"archipel\.toml"):
        load_settings(tmp_path)


def test_duplicate_offer_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="unique"):
        load_settings(tmp_path, offers=[{"name": "a"}, {"name": "a"}])
