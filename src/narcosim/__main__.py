"""Run the command line as ``python -m narcosim``."""

from narcosim.cli import main

if __name__ == "__main__":
    main()
