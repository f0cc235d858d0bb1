"""Errors the command line turns into one clear line and exit code 2."""


class NarcosimError(Exception):
    """A user-facing error: bad input, bad parameters, a missing store.

    The command line prints ``str(error)`` on one line and exits with code 2,
    without a traceback. Messages say what is wrong and where (file, row, column,
    key), e.g. ``deaths.csv row 12 column 'Total Deaths': negative count -3``.
    """

    exit_code = 2


class DataValidationError(NarcosimError):
    """A data file failed validation (missing column, unknown state, bad value, encoding)."""


class ParameterError(NarcosimError):
    """A parameter is unknown, out of bounds or in the wrong units."""


class StoreError(NarcosimError):
    """The local data store is missing, locked or incomplete."""
