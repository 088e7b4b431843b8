"""System ids are time-ordered UUIDs."""

from __future__ import annotations

import uuid

from archipel.core.ids import is_system_id, new_id


def test_ids_are_version_7_uuids_that_sort_by_creation() -> None:
    ids = [new_id() for _ in range(2000)]
    assert all(uuid.UUID(value).version == 7 for value in ids)
    assert len(set(ids)) == len(ids)
    assert [value[:13] for value in ids] == sorted(value[:13] for value in ids)


def test_system_id_shape_is_recognised() -> None:
    assert is_system_id(new_id())
    assert not is_system_id("ID24")
    assert not is_system_id("../../etc/passwd")
