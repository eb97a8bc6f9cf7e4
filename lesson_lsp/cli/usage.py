"""The one error every command raises for bad input from the command line: `main` prints it on
a line of its own and exits 2. Its own module, so that the commands need not import `main`."""


class UsageError(Exception):
    """Bad input from the command line."""
