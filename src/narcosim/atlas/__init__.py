"""The threat atlas: real public data, validated loaders, provenance and the local store.

Floor 1: imports nothing from other narcosim packages except :mod:`narcosim.errors`.
Each loader ``load_<table>(source)`` reads raw files from a data folder laid out
like ``shared/data`` and validates them on read; :mod:`narcosim.atlas.store` keeps
the imported tables in a local DuckDB file.
"""
