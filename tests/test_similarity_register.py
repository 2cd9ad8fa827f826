"""The register side of issue 15: migration 0008 (the reference library, its hashes, protected
names and the record of each similarity check) upgrades a 0007 register in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import inspect

from tests.conftest import Run
from tests.test_similarity import MANIFEST

Cli = Callable[..., Run]


NEW_TABLES = {"refs", "ref_hashes", "protected_names", "similarity_checks"}


def test_a_0007_register_upgrades_to_0008_and_its_trail_still_verifies(
    workspace: Path, cli: Cli, database_url: str
) -> None:
    from clearance.register import db

    (workspace / "manifest.yaml").write_text(MANIFEST)
    assert cli("import", "manifest.yaml").code == 0
    engine = db.connect(database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= NEW_TABLES
        db.downgrade(engine, "0007")
        assert db.current_revision(engine) == "0007"
        assert not NEW_TABLES & set(inspect(engine).get_table_names())
        run = cli("status")
        assert run.code == 2 and "clearance init" in run.stderr  # refused, with the way out
        assert cli("init").code == 0  # upgrades in place
        assert db.current_revision(engine) == db.SCHEMA_REVISION == "0008"
        assert set(inspect(engine).get_table_names()) >= NEW_TABLES
    finally:
        engine.dispose()
    assert cli("audit", "verify").code == 0
