"""The offer layout (archipel/storage/layout.py): keys named in one place, and read back."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from archipel.core.ids import new_id
from archipel.storage import layout
from archipel.storage.filesystem import offer_readme
from archipel.storage.layout import KeyKind, LayoutKey, NotALayoutKey
from archipel.storage.offer import validate_key

UNIT = "0193a1b2-c3d4-7e5f-8a6b-0c1d2e3f4a5b"
GROUP = "0193a1b2-c3d5-7000-8000-000000000001"
OBJECT = "0193a1b2-c3d6-7000-8000-000000000002"
OPERATION = "0193a1b2-0000-7000-8000-000000000003"


def test_names_keys_as_the_readme_documents() -> None:
    assert layout.tenant_key(1) == "tenants/1/tenant.json"
    assert layout.object_key(1, OBJECT) == f"tenants/1/objects/0193/a1b2/{OBJECT}"
    assert layout.object_group_key(1, GROUP, 1) == f"tenants/1/object-groups/0193/a1b2/{GROUP}/000001.json"
    assert layout.unit_key(12, UNIT, 3) == f"tenants/12/units/0193/a1b2/{UNIT}/000003.json"
    assert layout.operation_file_key(0, OPERATION, "manifest.xml") == (
        f"tenants/0/operations/0193/{OPERATION}/manifest.xml"
    )


def test_tenant_prefix_does_not_include_other_tenants_with_the_same_leading_digits() -> None:
    assert layout.tenant_prefix(1) == "tenants/1/"
    assert not layout.tenant_key(10).startswith(layout.tenant_prefix(1))


KEYS = [
    (layout.tenant_key(7), LayoutKey(KeyKind.TENANT, 7)),
    (layout.object_key(7, OBJECT), LayoutKey(KeyKind.OBJECT, 7, OBJECT)),
    (layout.object_group_key(7, GROUP, 2), LayoutKey(KeyKind.OBJECT_GROUP, 7, GROUP, 2)),
    (layout.unit_key(0, UNIT, 999_999), LayoutKey(KeyKind.UNIT, 0, UNIT, 999_999)),
    *[
        (
            layout.operation_file_key(7, OPERATION, name),
            LayoutKey(KeyKind.OPERATION_FILE, 7, OPERATION, name=name),
        )
        for name in layout.OPERATION_FILES
    ],
]


@pytest.mark.parametrize(("key", "meaning"), KEYS, ids=[key for key, _ in KEYS])
def test_reads_back_what_each_key_names(key: str, meaning: LayoutKey) -> None:
    assert layout.parse_key(key) == meaning


@pytest.mark.parametrize("key", [key for key, _ in KEYS])
def test_every_key_is_a_valid_offer_key(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "README.txt",
        "tenants/1",
        "tenants/01/tenant.json",
        "tenants/-1/tenant.json",
        f"tenants/1/objects/0193/a1b3/{OBJECT}",
        f"tenants/1/objects/0193/{OBJECT}",
        f"tenants/1/objects/0193/a1b2/{OBJECT}.pdf",
        f"tenants/1/objects/0193/a1b2/{OBJECT.upper()}",
        f"tenants/1/units/0193/a1b2/{UNIT}/000000.json",
        f"tenants/1/units/0193/a1b2/{UNIT}/1.json",
        f"tenants/1/units/0193/a1b2/{UNIT}",
        f"tenants/1/operations/0194/{OPERATION}/manifest.xml",
        f"tenants/1/operations/0193/{OPERATION}/.hidden",
        f"tenants/1/operations/0193/{OPERATION}/sub/manifest.xml",
        f"tenants/1/archives/0193/a1b2/{UNIT}",
    ],
)
def test_refuses_keys_the_layout_does_not_produce(key: str) -> None:
    with pytest.raises(NotALayoutKey):
        layout.parse_key(key)


@pytest.mark.parametrize(
    "build",
    [
        lambda: layout.object_key(1, "../../etc/passwd"),
        lambda: layout.object_key(1, OBJECT.upper()),
        lambda: layout.unit_key(1, "unit-1", 1),
        lambda: layout.unit_key(1, UNIT, 0),
        lambda: layout.unit_key(1, UNIT, 1_000_000),
        lambda: layout.object_group_key(1, GROUP, True),
        lambda: layout.tenant_key(-1),
        lambda: layout.tenant_key("1"),  # type: ignore[arg-type]
        lambda: layout.operation_file_key(1, OPERATION, "../reply.xml"),
        lambda: layout.operation_file_key(1, OPERATION, "sub/reply.xml"),
        lambda: layout.operation_file_key(1, OPERATION, ".reply.xml"),
        lambda: layout.operation_file_key(1, OPERATION, ""),
    ],
)
def test_builds_keys_from_validated_parts_only(build: Callable[[], str]) -> None:
    with pytest.raises(ValueError):
        build()


def test_document_versions_sort_in_version_order() -> None:
    versions = [layout.unit_key(1, UNIT, version) for version in (1, 2, 9, 10, 100, 11)]

    assert sorted(versions) == [layout.unit_key(1, UNIT, version) for version in (1, 2, 9, 10, 11, 100)]


def test_object_keys_sort_in_creation_order() -> None:
    earlier, later = "0193a1b2-ffff-7000-8000-000000000000", "0193a1b3-0000-7000-8000-000000000000"

    assert layout.object_key(1, earlier) < layout.object_key(1, later)


def test_fresh_ids_give_round_tripping_keys() -> None:
    object_id = new_id()

    assert layout.parse_key(layout.object_key(3, object_id)) == LayoutKey(KeyKind.OBJECT, 3, object_id)


@pytest.mark.parametrize(
    "named",
    [
        "tenants/{tenant}/tenant.json",
        "objects/{aaaa}/{bbbb}/{object-id}",
        "object-groups/{aaaa}/{bbbb}/{group-id}/{version}.json",
        "units/{aaaa}/{bbbb}/{unit-id}/{version}.json",
        "operations/{aaaa}/{operation-id}/",
        *layout.OPERATION_FILES,
        "UTF-8",
        "SHA-512",
    ],
)
def test_readme_explains_every_part_of_the_layout(named: str) -> None:
    assert named in offer_readme().decode("utf-8")
