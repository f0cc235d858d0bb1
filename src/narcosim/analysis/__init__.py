"""Analysis of finished runs: side-by-side comparisons of scenarios with common random numbers.

The public entry point is :func:`narcosim.analysis.compare.compare`.
"""

from narcosim.analysis.compare import Comparison, check_compare_args, compare

__all__ = ["Comparison", "check_compare_args", "compare"]
