"""narcosim: cartel drug supply into the United States and the overdose deaths it causes."""

__version__ = "0.1.0"
