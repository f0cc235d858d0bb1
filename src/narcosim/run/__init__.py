"""Running a scenario end to end and the run folder it leaves behind.

* :mod:`narcosim.run.manifest`: the manifest (version, command, parameters, seed, data hashes);
* :mod:`narcosim.run.folder`: writing run folders atomically and reading them back;
* :mod:`narcosim.run.job`: :func:`execute_run`, one run from a built sim to a complete folder.
"""

from narcosim.run.folder import (
    MANIFEST,
    PARTIAL_SUFFIX,
    RESULTS,
    SUMMARY,
    RunFolder,
    RunFolderWriter,
    check_out_dir,
    default_out_dir,
    partial_path,
    read_run_folder,
)
from narcosim.run.job import SCENARIOS, RunOutcome, check_run_args, execute_run
from narcosim.run.manifest import build_manifest, data_provenance, jsonable

__all__ = [
    "MANIFEST",
    "PARTIAL_SUFFIX",
    "RESULTS",
    "SCENARIOS",
    "SUMMARY",
    "RunFolder",
    "RunFolderWriter",
    "RunOutcome",
    "build_manifest",
    "check_out_dir",
    "check_run_args",
    "data_provenance",
    "default_out_dir",
    "execute_run",
    "jsonable",
    "partial_path",
    "read_run_folder",
]
