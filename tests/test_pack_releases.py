"""Pack versions tied to their bytes (packs/RELEASES.json), released versions loadable by
``id@version``, and a recorded decision replayed with the exact pack that made it."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from clearance.manifest.errors import ManifestError
from clearance.policy import registry, releases
from clearance.policy.decision import to_jsonable
from clearance.policy.engine import Engine
from clearance.policy.registry import BUILTIN_DIR, builtin_ids, resolve, resolve_key
from clearance.register.canonical import canonical
from tests.conftest import Run
from tests.support import EXAMPLE

Cli = Callable[..., Run]
NETFLIX = BUILTIN_DIR / "netflix-genai" / "pack.yaml"


def test_every_built_in_pack_is_its_released_version() -> None:
    """A pack whose bytes change must get a new version, and every version is recorded."""
    found = releases.problems(BUILTIN_DIR)
    assert not found, "packs out of step with RELEASES.json:\n" + "\n".join(found)


def test_every_released_version_loads_with_its_recorded_bytes() -> None:
    lock = releases.read_lock(BUILTIN_DIR)
    retired = releases.retired(BUILTIN_DIR)
    assert lock["netflix-genai"]["1.0.0"] == resolve("netflix-genai").sha256
    for pack_id, versions in lock.items():
        for version, digest in versions.items():
            name = f"{pack_id}@{version}"
            if name in retired:  # kept for the record; the facts it reads are gone
                with pytest.raises(ManifestError, match="can no longer be loaded"):
                    resolve(name)
                continue
            pack = resolve(name)
            assert (pack.id, pack.version, pack.sha256) == (pack_id, version, digest), name
    # release files are never built-in packs of their own
    assert all((BUILTIN_DIR / i / "pack.yaml").is_file() for i in builtin_ids())
    assert "releases" not in builtin_ids()


def test_an_unknown_version_names_the_known_ones() -> None:
    with pytest.raises(ManifestError, match=r"no released version 0\.9\.0; known: .*1\.0\.0"):
        resolve("netflix-genai@0.9.0")


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def test_record_adds_versions_refuses_changed_bytes_and_keeps_old_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "packs"
    (root / "netflix-genai").mkdir(parents=True)
    pack = root / "netflix-genai" / "pack.yaml"
    original = NETFLIX.read_bytes()
    pack.write_bytes(original)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "pack 1.0.0")

    def run(*args: str) -> tuple[int, str]:
        code = releases.main(["--root", str(root), *args])
        out = capsys.readouterr()
        return code, out.out + out.err

    assert run("check") == (
        1,
        "netflix-genai 1.0.0 is not in RELEASES.json: once the pack is final, run "
        "`python -m clearance.policy.releases record netflix-genai`\n1 problem(s)\n",
    )
    assert run("record") == (0, "recorded netflix-genai@1.0.0\n")
    assert releases.read_lock(root) == {"netflix-genai": {"1.0.0": releases.sha256(original)}}

    changed = original.replace(b"title: Report every intended use", b"title: Report uses")
    pack.write_bytes(changed)
    code, out = run("check")
    assert code == 1 and "give it a new version (e.g. 1.1.0) and run" in out
    assert "`python -m clearance.policy.releases record netflix-genai`" in out
    lock_before = (root / releases.LOCK_FILE).read_bytes()
    code, out = run("record", "netflix-genai")
    assert code == 2 and "netflix-genai 1.0.0 is already released with sha256" in out
    assert (root / releases.LOCK_FILE).read_bytes() == lock_before  # refused: nothing written

    # the next version: 1.0.0's bytes come back from git history into releases/1.0.0.yaml
    pack.write_bytes(changed.replace(b"version: 1.0.0", b"version: 1.1.0"))
    code, out = run("record")
    assert code == 0, out
    assert out == "recorded netflix-genai@1.1.0\nkept netflix-genai/releases/1.0.0.yaml\n"
    assert (root / "netflix-genai" / "releases" / "1.0.0.yaml").read_bytes() == original
    assert run("check") == (0, "every built-in pack matches its release\n")
    assert run("record") == (0, "nothing to record: every pack's current version is in the lock\n")
    assert run("record", "nope")[0] == 2


@pytest.fixture
def packs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built-in packs folder holding netflix-genai 1.0.0 as released (the registry reads it)."""
    root = tmp_path / "packs"
    (root / "netflix-genai").mkdir(parents=True)
    shutil.copy(NETFLIX, root / "netflix-genai" / "pack.yaml")
    releases.record(root)
    monkeypatch.setattr(registry, "BUILTIN_DIR", root)
    return root


def _release_1_1_0(root: Path) -> None:
    """netflix-genai 1.1.0: non-sensitive studio material in enterprise tools escalates (D1a)."""
    pack = root / "netflix-genai" / "pack.yaml"
    text = pack.read_text()
    d1a = text.index("  - id: D1a")
    text = text[:d1a] + text[d1a:].replace("outcome: judgment", "outcome: escalate", 1)
    pack.write_text(text.replace("version: 1.0.0", "version: 1.1.0"))
    (root / "netflix-genai" / "releases").mkdir()
    shutil.copy(NETFLIX, root / "netflix-genai" / "releases" / "1.0.0.yaml")
    assert releases.record(root).added == ["netflix-genai@1.1.0"]


def test_changed_bytes_under_a_released_version_are_refused(packs_root: Path) -> None:
    pack = packs_root / "netflix-genai" / "pack.yaml"
    pack.write_text(pack.read_text().replace("Report every intended use", "Report uses"))
    with pytest.raises(ManifestError, match="the pack changed without a new version"):
        resolve("netflix-genai@1.0.0")


def test_a_recorded_decision_replays_with_the_released_pack(
    workspace: Path, cli: Cli, packs_root: Path
) -> None:
    """Decisions recorded with netflix-genai 1.0.0 replay to the same result after 1.1.0 is
    released — from the register alone: its manifest and each decision's packs_key."""
    from clearance.manifest.models import Manifest
    from clearance.register import schema
    from clearance.register.access import open_register
    from clearance.register.manifest_export import production_manifest

    assert cli("import", EXAMPLE).code == 0
    _release_1_1_0(packs_root)
    assert cli("import", EXAMPLE).code == 0  # new decisions with 1.1.0
    uc, dec = schema.use_cases, schema.decisions
    with open_register() as (register, _ws), register.read() as db:
        manifest = Manifest.model_validate(production_manifest(db, "neon-harbor-s1"))
        rows = db.execute(
            select(uc.c.uc_id, dec.c.packs_key, dec.c.outcome, dec.c.obligations, dec.c.rules)
            .join(uc, uc.c.pk == dec.c.use_case_pk)
            .order_by(dec.c.pk)
        ).all()
    keys = sorted({row.packs_key for row in rows})
    assert [k.split("#")[0] for k in keys] == ["netflix-genai@1.0.0", "netflix-genai@1.1.0"]
    use_cases = {u.id: u for u in manifest.use_cases}
    changed = []
    for row in rows:
        engine = Engine(resolve_key(row.packs_key))
        decision = engine.decide(manifest, use_cases[row.uc_id])
        replayed = (
            decision.outcome,
            canonical(decision.obligations),
            canonical(to_jsonable(decision.rules)),
        )
        assert replayed == (row.outcome, row.obligations, row.rules), row.uc_id
        if row.packs_key.startswith("netflix-genai@1.0.0"):
            now = Engine([resolve("netflix-genai")]).decide(manifest, use_cases[row.uc_id])
            if now.outcome != row.outcome:
                changed.append(row.uc_id)
    assert changed == ["UC-003", "UC-019"]  # D1a alone: judgment in 1.0.0, escalate in 1.1.0

    # the same replay from the command line
    released = json.loads(
        cli("check", EXAMPLE, "--pack", "netflix-genai@1.0.0", "--no-register", "-f", "json").stdout
    )
    assert released["policies"][0]["version"] == "1.0.0"
    outcomes = {u["id"]: u["outcome"] for u in released["use_cases"]}
    assert outcomes["UC-003"] == "judgment"
    current = json.loads(cli("check", EXAMPLE, "--no-register", "-f", "json").stdout)
    assert {u["id"]: u["outcome"] for u in current["use_cases"]}["UC-003"] == "escalate"


def test_a_packs_key_whose_hash_does_not_match_is_refused() -> None:
    with pytest.raises(ManifestError, match="not 0000000000000000"):
        resolve_key("netflix-genai@1.0.0#0000000000000000")
    key = f"netflix-genai@1.0.0#{resolve('netflix-genai').sha256[:16]}"
    assert [p.version for p in resolve_key(key)] == ["1.0.0"]
