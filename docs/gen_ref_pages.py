"""Write one API reference page per module under src/narcosim (run by mkdocs-gen-files).

Every ``.py`` file becomes ``reference/<dotted path>.md`` holding ``::: <dotted name>``
(mkdocstrings renders it); a package's page is its ``index.md``. ``SUMMARY.md`` gives
literate-nav the tree. Private modules (a name starting with ``_``) and ``__main__`` are left
out, and so is a module in a folder without ``__init__.py`` (griffe cannot collect it):
``tests/test_docs_site.py`` fails then, naming the module.
"""

from pathlib import Path

import mkdocs_gen_files

SRC = Path(__file__).resolve().parents[1] / "src"

nav = mkdocs_gen_files.Nav()
for path in sorted(SRC.rglob("*.py")):
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__main__" or any(p.startswith("_") and p != "__init__" for p in parts):
        continue
    folders = path.relative_to(SRC).parents
    if not all((SRC / f / "__init__.py").is_file() for f in folders if str(f) != "."):
        continue
    doc = Path("reference", *parts).with_suffix(".md")
    if parts[-1] == "__init__":
        parts = parts[:-1]
        doc = doc.with_name("index.md")
    nav[tuple(parts)] = doc.relative_to("reference").as_posix()
    with mkdocs_gen_files.open(doc, "w") as handle:
        handle.write(f"::: {'.'.join(parts)}\n")
    mkdocs_gen_files.set_edit_path(doc, path.relative_to(SRC.parent))

with mkdocs_gen_files.open("reference/SUMMARY.md", "w") as handle:
    handle.writelines(nav.build_literate_nav())
