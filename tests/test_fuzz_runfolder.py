"""Fuzz run and ensemble folders: every damaged folder is refused in one line.

``report`` (through :func:`narcosim.run.folder.read_run_folder` and the ensemble reader)
now checks every file against the sha256 recorded when it was written. Before, a swapped
``results.parquet``, a changed member file or a truncated ``bands.parquet`` was reported
as if fine, and a ``manifest.json`` holding a list raised AttributeError. Each damaged
folder here must make ``narcosim report`` exit 2 with one line before the store is opened.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from fuzz_support import assert_refused, cli
from narcosim.atlas.provenance import sha256_file
from narcosim.errors import StoreError
from narcosim.run.folder import RunFolderWriter, read_run_folder, verify_ensemble_files

Damage = Callable[[Path], None]


def make_run(path: Path) -> Path:
    writer = RunFolderWriter(path)
    manifest = {"narcosim": "test", "status": "running", "seed": 1}
    writer.begin(manifest)
    results = pd.DataFrame({"module": ["people"] * 3, "metric": ["deaths"] * 3,
                            "date": pd.to_datetime(["2015-01-01", "2015-01-08", "2015-01-15"]),
                            "value": [1.0, 2.0, 3.0]})
    writer.commit(manifest, results, {"deaths": 6.0})
    return path


def make_ensemble(path: Path) -> Path:
    (path / "runs").mkdir(parents=True)
    members = []
    for i in range(2):
        file = path / "runs" / f"run-{i:04d}.parquet"
        pd.DataFrame({"value": [float(i), 2.0]}).to_parquet(file)
        members.append({"file": file.name, "seed": i, "sha256": sha256_file(file)})
    pd.DataFrame({"q50": [1.0]}).to_parquet(path / "bands.parquet")
    meta = {"status": "complete", "members": members,
            "bands": {"file": "bands.parquet", "sha256": sha256_file(path / "bands.parquet")},
            "bands_annual": None}
    (path / "ensemble.json").write_text(json.dumps(meta))
    return path


def _write(name: str, data: bytes | str) -> Damage:
    def damage(folder: Path) -> None:
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
    return damage


def _edit_json(name: str, change: Callable[[dict], object]) -> Damage:
    def damage(folder: Path) -> None:
        doc = json.loads((folder / name).read_text())
        result = change(doc)
        (folder / name).write_text(json.dumps(doc if result is None else result))
    return damage


def _flip(name: str, where: float = 0.5) -> Damage:
    def damage(folder: Path) -> None:
        data = bytearray((folder / name).read_bytes())
        data[int(len(data) * where)] ^= 0xFF
        (folder / name).write_bytes(bytes(data))
    return damage


def _truncate(name: str) -> Damage:
    def damage(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])
    return damage


def _remove(name: str) -> Damage:
    return lambda folder: (folder / name).unlink()


def _dir(name: str) -> Damage:
    def damage(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
    return damage


JSON_JUNK = {"list": "[1, 2]", "string": '"complete"', "number": "3", "null": "null",
             "empty": "", "invalid": "{", "nested": "[" * 100_000 + "]" * 100_000,
             "binary": b"\x00\xff\xfe" * 10, "utf-16": '{"a": 1}'.encode("utf-16")}


def _run_corpus() -> dict[str, Damage]:
    cases: dict[str, Damage] = {}
    for file in ("manifest.json", "summary.json"):
        for label, junk in JSON_JUNK.items():
            cases[f"{file} {label}"] = _write(file, junk)
        cases[f"{file} removed"] = _remove(file)
        cases[f"{file} a folder"] = _dir(file)
    for where in (0.1, 0.5, 0.9):
        cases[f"results byte flipped at {where}"] = _flip("results.parquet", where)
    cases["results truncated"] = _truncate("results.parquet")
    cases["results emptied"] = _write("results.parquet", b"")
    cases["results removed"] = _remove("results.parquet")
    cases["results a folder"] = _dir("results.parquet")
    cases["results swapped"] = lambda f: pd.DataFrame({"value": [9.0]}).to_parquet(
        f / "results.parquet")
    cases["summary changed"] = _edit_json("summary.json", lambda d: d.update(deaths=7.0))
    for status in ("running", "failed", "interrupted", None, 1):
        cases[f"status {status}"] = _edit_json("manifest.json",
                                               lambda d, s=status: d.update(status=s))
    cases["no outputs"] = _edit_json("manifest.json", lambda d: d.pop("outputs"))
    cases["outputs a list"] = _edit_json("manifest.json", lambda d: d.update(outputs=[1]))
    cases["outputs empty"] = _edit_json("manifest.json", lambda d: d.update(outputs={}))
    cases["sha256 wrong"] = _edit_json("manifest.json", lambda d: d["outputs"][
        "results.parquet"].update(sha256="0" * 64))
    cases["sha256 missing"] = _edit_json("manifest.json", lambda d: d["outputs"][
        "results.parquet"].pop("sha256"))
    cases["output record not an object"] = _edit_json(
        "manifest.json", lambda d: d["outputs"].update({"summary.json": "x"}))
    return cases


def _ensemble_corpus() -> dict[str, Damage]:
    cases: dict[str, Damage] = {}
    for label, junk in JSON_JUNK.items():
        cases[f"ensemble.json {label}"] = _write("ensemble.json", junk)
    cases["member flipped"] = _flip("runs/run-0001.parquet")
    cases["member truncated"] = _truncate("runs/run-0000.parquet")
    cases["member swapped"] = lambda f: shutil.copyfile(f / "runs/run-0000.parquet",
                                                        f / "runs/run-0001.parquet")
    cases["member removed"] = _remove("runs/run-0001.parquet")
    cases["bands truncated"] = _truncate("bands.parquet")
    cases["bands flipped"] = _flip("bands.parquet")
    cases["bands removed"] = _remove("bands.parquet")
    cases["status running"] = _edit_json("ensemble.json", lambda d: d.update(status="running"))
    cases["no members"] = _edit_json("ensemble.json", lambda d: d.update(members=[]))
    cases["members a string"] = _edit_json("ensemble.json", lambda d: d.update(members="ab"))
    cases["members an object"] = _edit_json("ensemble.json", lambda d: d.update(members={}))
    cases["member not an object"] = _edit_json("ensemble.json",
                                               lambda d: d["members"].append("x"))
    cases["member sha256 missing"] = _edit_json("ensemble.json",
                                                lambda d: d["members"][0].pop("sha256"))
    cases["bands sha256 wrong"] = _edit_json("ensemble.json", lambda d: d["bands"].update(
        sha256="f" * 64))
    return cases


RUN_CORPUS = _run_corpus()
ENSEMBLE_CORPUS = _ensemble_corpus()


def test_corpus_is_large_enough():
    assert len(RUN_CORPUS) + len(ENSEMBLE_CORPUS) >= 60


def test_intact_folders_verify(tmp_path):
    run = make_run(tmp_path / "run")
    assert read_run_folder(run).summary == {"deaths": 6.0}
    ensemble = make_ensemble(tmp_path / "ensemble")
    verify_ensemble_files(ensemble, json.loads((ensemble / "ensemble.json").read_text()))


@pytest.mark.parametrize("case", list(RUN_CORPUS))
def test_damaged_run_folder_is_refused(case, tmp_path, capsys):
    run = make_run(tmp_path / "run")
    RUN_CORPUS[case](run)
    with pytest.raises(StoreError):
        read_run_folder(run)
    code, out, err = cli(["report", str(run), "--store", str(tmp_path / "none.duckdb")],
                         capsys)
    assert_refused(code, out, err, str(run))
    assert not (run / "report.html").exists()


@pytest.mark.parametrize("case", list(ENSEMBLE_CORPUS))
def test_damaged_ensemble_folder_is_refused(case, tmp_path, capsys):
    ensemble = make_ensemble(tmp_path / "ensemble")
    ENSEMBLE_CORPUS[case](ensemble)
    code, out, err = cli(["report", str(ensemble), "--store", str(tmp_path / "none.duckdb")],
                         capsys)
    line = assert_refused(code, out, err)
    assert "no atlas store" not in line, line  # refused for the folder, not for the store
