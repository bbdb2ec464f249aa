"""The ``cehrs-items`` command line: parses options, calls the library, renders results."""
