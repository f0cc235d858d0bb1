"""Analysis of finished runs: side-by-side comparisons of scenarios with common random numbers.

Entry point: :func:`narcosim.analysis.compare.compare` (not re-exported here, so that
``narcosim.analysis.compare`` stays the module). Parts: :mod:`~narcosim.analysis.arms` (run
every arm on the same member seeds), :mod:`~narcosim.analysis.resolve` (scenario names and
files to arms), :mod:`~narcosim.analysis.measures` (what a member's results say over a window)
and :mod:`~narcosim.analysis.effects` (paired effects and their intervals).
"""
