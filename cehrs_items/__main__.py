"""``python -m cehrs_items`` runs the command-line interface."""

from cehrs_items.cli.app import main

if __name__ == "__main__":
    main()
