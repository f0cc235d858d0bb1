"""Run folders, written so that nothing looks complete unless it is.

A run folder holds ``manifest.json``, ``results.parquet`` and ``summary.json``. A
:class:`RunFolderWriter` builds it in ``<out>.partial/`` beside the target: the manifest
goes in first with status ``running``; at the end the results and summary are written,
then the manifest with status ``complete`` (and the sha256 of the other two files), and only
then is ``<out>.partial`` renamed to ``<out>``. A run that fails or is interrupted leaves at
most ``<out>.partial`` whose manifest says ``failed`` or ``interrupted``; the next run with
the same ``--out`` removes it. An existing complete folder is replaced only when asked
(``force``), and a folder that is not a run folder is never replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from narcosim.atlas.provenance import sha256_file
from narcosim.errors import ParameterError, StoreError
from narcosim.run.manifest import finish_manifest, jsonable

MANIFEST = "manifest.json"
RESULTS = "results.parquet"
SUMMARY = "summary.json"
#: Suffix of the folder a run is written into before it is complete.
PARTIAL_SUFFIX = ".partial"
#: Where runs go when ``--out`` is not given (relative to the working folder).
DEFAULT_RUNS_DIR = Path("runs")


def default_out_dir(seed: int, now: datetime | None = None,
                    root: Path = DEFAULT_RUNS_DIR) -> Path:
    """Return the default run folder, ``runs/<UTC timestamp>-seed<seed>``.

    Args:
        seed: The run seed.
        now: The time to stamp; the current UTC time when None.
        root: The parent folder.

    Returns:
        For example ``runs/20261128T094712Z-seed1``.
    """
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(root) / f"{stamp}-seed{int(seed)}"


def partial_path(out: Path) -> Path:
    """Return the folder a run into ``out`` is written in before it completes."""
    out = Path(out)
    return out.with_name(out.name + PARTIAL_SUFFIX)


def check_out_dir(out: Path, force: bool = False) -> Path:
    """Check that a run may be written to ``out``, before any work is done.

    Args:
        out: The target run folder.
        force: Whether an existing complete run folder may be replaced.

    Returns:
        ``out`` as given.

    Raises:
        ParameterError: ``out`` (or a folder above it) is a file, ``out`` ends in
            ``.partial``, ``out`` is a complete run folder and ``force`` is off, or
            ``out`` is a non-empty folder that is not a run folder.
    """
    out = Path(out)
    if out.name in ("", ".", "..") or out.name.endswith(PARTIAL_SUFFIX):
        raise ParameterError(f"--out {out}: give a folder name (not ending in {PARTIAL_SUFFIX})")
    for parent in (out, *out.parents):
        if parent.exists() and not parent.is_dir():
            raise ParameterError(f"--out {out}: {parent} is a file, not a folder")
    if out.is_dir():
        if (out / MANIFEST).is_file():
            if not force:
                raise ParameterError(f"--out {out} already holds a run; use --force to replace "
                                     "it or choose another folder")
        elif any(out.iterdir()):
            raise ParameterError(f"--out {out} is a folder that is not a run folder "
                                 f"(no {MANIFEST}); choose another folder")
    return out


def _write_json(path: Path, data: Any) -> None:
    text = json.dumps(jsonable(data), indent=2, ensure_ascii=False, allow_nan=False)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _rmtree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class RunFolderWriter:
    """Writes one run folder through ``<out>.partial`` and a final rename.

    Args:
        out: The target run folder.
        force: Replace an existing complete run folder at ``out``.

    Raises:
        ParameterError: See :func:`check_out_dir`.

    Attributes:
        out: The target folder.
        partial: The folder written until the run completes.
    """

    def __init__(self, out: Path, force: bool = False) -> None:
        self.out = check_out_dir(Path(out), force)
        self.force = force
        self.partial = partial_path(self.out)

    def __repr__(self) -> str:
        return f"RunFolderWriter({str(self.out)!r}, force={self.force})"

    def begin(self, manifest: dict[str, Any]) -> None:
        """Clear any leftover ``.partial`` folder and write the running manifest into it.

        Args:
            manifest: From :func:`~narcosim.run.manifest.build_manifest`.

        Raises:
            StoreError: The folder cannot be created or written.
        """
        try:
            _rmtree(self.partial)
            self.partial.mkdir(parents=True)
            _write_json(self.partial / MANIFEST, manifest)
        except OSError as error:
            raise StoreError(f"cannot write run folder {self.partial}: {error.strerror}") from None

    def commit(self, manifest: dict[str, Any], results: pd.DataFrame,
               summary: dict[str, Any], wall_seconds: float | None = None) -> dict[str, Any]:
        """Write results and summary, then the complete manifest, then rename into place.

        Args:
            manifest: The running manifest.
            results: The tidy results frame (``sim.results.to_frame()``).
            summary: The run's headline figures.
            wall_seconds: How long the run took.

        Returns:
            The complete manifest as written.

        Raises:
            StoreError: A file cannot be written or the folder cannot be renamed.
        """
        try:
            results.to_parquet(self.partial / RESULTS, index=False)
            _write_json(self.partial / SUMMARY, summary)
            outputs = {
                RESULTS: {"sha256": sha256_file(self.partial / RESULTS),
                          "bytes": (self.partial / RESULTS).stat().st_size,
                          "rows": len(results), "columns": [str(c) for c in results.columns]},
                SUMMARY: {"sha256": sha256_file(self.partial / SUMMARY),
                          "bytes": (self.partial / SUMMARY).stat().st_size},
            }
            final = finish_manifest(manifest, "complete", outputs=outputs,
                                    wall_seconds=wall_seconds)
            _write_json(self.partial / MANIFEST, final)
            self._swap_in()
        except OSError as error:
            where = error.filename or self.partial
            raise StoreError(f"cannot write run folder {where}: {error.strerror}") from None
        return final

    def _swap_in(self) -> None:
        """Rename ``.partial`` to the target, moving an old run aside first if forced."""
        old = None
        if self.out.exists():
            check_out_dir(self.out, self.force)  # still allowed (nothing changed under us)
            old = self.out.with_name(f".{self.out.name}.replaced-{os.getpid()}")
            _rmtree(old)
            os.replace(self.out, old)
        try:
            os.replace(self.partial, self.out)
        except OSError:
            if old is not None:
                os.replace(old, self.out)
            raise
        if old is not None:
            _rmtree(old)

    def abort(self, manifest: dict[str, Any], status: str, error: str) -> None:
        """Mark the ``.partial`` folder's manifest as failed or interrupted (best effort).

        Args:
            manifest: The running manifest.
            status: ``failed`` or ``interrupted``.
            error: One line on what went wrong.
        """
        if not self.partial.is_dir():
            return
        with contextlib.suppress(OSError, ValueError):
            _write_json(self.partial / MANIFEST, finish_manifest(manifest, status, error=error))


@dataclass(frozen=True)
class RunFolder:
    """A complete run folder, read back.

    Attributes:
        path: The folder.
        manifest: ``manifest.json``.
        summary: ``summary.json``.
    """

    path: Path
    manifest: dict[str, Any]
    summary: dict[str, Any]

    def results(self) -> pd.DataFrame:
        """Read ``results.parquet``."""
        return pd.read_parquet(self.path / RESULTS)

    def verify(self) -> list[str]:
        """Check the output files against the sha256 recorded in the manifest.

        Returns:
            The names of files whose hash differs (empty when all match).
        """
        outputs = self.manifest.get("outputs", {})
        return [name for name, info in outputs.items()
                if not (self.path / name).is_file()
                or sha256_file(self.path / name) != info.get("sha256")]


def read_run_folder(path: Path, verify: bool = True) -> RunFolder:
    """Read a complete run folder, checking its files against the manifest's sha256.

    Args:
        path: The folder.
        verify: Check every output file's sha256 against the manifest (a swapped or
            truncated file is refused).

    Returns:
        The manifest and summary, with the results readable on demand.

    Raises:
        StoreError: No such folder, a file is missing or unreadable, the manifest does
            not say the run is complete or records no outputs, or a file's sha256 differs
            from the one recorded.
    """
    path = Path(path)
    if not path.is_dir():
        raise StoreError(f"no run folder at {path}")
    manifest = read_json_object(path, MANIFEST)
    status = manifest.get("status")
    if status != "complete":
        raise StoreError(f"{path / MANIFEST}: status is {status!r}, not 'complete'")
    summary = read_json_object(path, SUMMARY)
    if not (path / RESULTS).is_file():
        raise StoreError(f"run folder {path} has no {RESULTS}")
    folder = RunFolder(path, manifest, summary)
    if verify:
        outputs = manifest.get("outputs")
        if not isinstance(outputs, dict) or RESULTS not in outputs \
                or not all(isinstance(v, dict) for v in outputs.values()):
            raise StoreError(f"{path / MANIFEST}: no sha256 recorded for {RESULTS}; the "
                             "folder cannot be verified")
        bad = folder.verify()
        if bad:
            raise StoreError(f"run folder {path}: {bad[0]} does not match the sha256 in "
                             f"{MANIFEST} (changed or damaged after the run); rerun it")
    return folder


def read_json_object(folder: Path, name: str) -> dict[str, Any]:
    """Read ``folder/name`` as a JSON object.

    Raises:
        StoreError: The file is missing, unreadable, not JSON, nested too deeply, or not
            an object (one line naming the file).
    """
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"run folder {folder} has no {name}") from None
    except RecursionError:
        raise StoreError(f"{folder / name}: JSON nested too deeply") from None
    except (OSError, ValueError) as error:
        raise StoreError(f"{folder / name}: cannot read JSON "
                         f"({str(error).splitlines()[0] if str(error) else error!r})") from None
    if not isinstance(data, dict):
        raise StoreError(f"{folder / name}: expected a JSON object, found "
                         f"{type(data).__name__}")
    return data


def verify_ensemble_files(folder: Path, meta: dict[str, Any]) -> None:
    """Check an ensemble folder's files against the sha256 its ``ensemble.json`` records.

    Checks every member file (``runs/<file>``) and the band files the metadata lists.

    Args:
        folder: The ensemble folder.
        meta: Its ``ensemble.json``.

    Raises:
        StoreError: A listed file is missing, has no sha256 recorded, or differs from it.
    """
    folder = Path(folder)
    records: list[tuple[Path, Any]] = []
    members = meta.get("members")
    if members is not None and not isinstance(members, list):
        raise StoreError(f"{folder}: ensemble.json 'members' is not a list")
    for member in members or []:
        if not isinstance(member, dict):
            raise StoreError(f"{folder}: ensemble.json lists a member that is not an object")
        records.append((folder / "runs" / str(member.get("file")), member.get("sha256")))
    for key in ("bands", "bands_annual"):
        band = meta.get(key)
        if isinstance(band, dict) and band.get("file"):
            records.append((folder / str(band["file"]), band.get("sha256")))
    for path, digest in records:
        if not isinstance(digest, str):
            raise StoreError(f"ensemble folder {folder}: no sha256 recorded for {path.name}")
        if not path.is_file():
            raise StoreError(f"ensemble folder {folder} lacks {path.name}")
        if sha256_file(path) != digest:
            raise StoreError(f"ensemble folder {folder}: {path.name} does not match the "
                             "sha256 in ensemble.json (changed or damaged); rerun the ensemble")
