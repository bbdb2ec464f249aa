"""Where the sample bank shipped with the package is, and what ``--bank`` defaults to.

The sample bank lives at the repository top level as ``item_bank/``; wheels and sdists
carry the same files as ``cehrs_items/sample_bank/`` (see ``setup.py``). A command whose
``--bank`` is not given uses ``item_bank/`` of the working folder when there is one, and
the shipped sample bank otherwise, so the demo and the tour run from any folder after a
``pip install``. Every message about the default says that it is a default and where it
looked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cehrs_items.errors import InputError

DEFAULT_BANK_DIR = "item_bank"
"""The ``--bank`` default, resolved against the working folder."""

_PACKAGE_DIR = Path(__file__).resolve().parent


def _candidates() -> tuple[Path, ...]:
    # Installed wheel: cehrs_items/sample_bank; editable install or source checkout: the
    # repository's item_bank next to the package.
    return (_PACKAGE_DIR / "sample_bank", _PACKAGE_DIR.parent / DEFAULT_BANK_DIR)


def shipped_bank() -> Path:
    """The sample bank shipped with this copy of cehrs-items (an absolute path).

    Raises
    ------
    InputError
        If neither the installed copy nor a source checkout's ``item_bank/`` is present.
    """
    for candidate in _candidates():
        if (candidate / "blueprint.yaml").is_file() and (candidate / "items").is_dir():
            return candidate
    looked = ", ".join(str(c) for c in _candidates())
    raise InputError(
        f"the sample bank is not installed with this copy of cehrs-items (looked in {looked}); "
        "give --bank DIR"
    )


def is_shipped_bank(path: str | Path) -> bool:
    """Whether ``path`` is the shipped sample bank."""
    try:
        return Path(path).resolve() == shipped_bank().resolve()
    except (InputError, OSError):
        return False


@dataclass(frozen=True)
class DefaultBank:
    """The bank a command uses when ``--bank`` is not given, and why."""

    path: Path
    """``item_bank`` (relative, in the working folder) or the shipped bank (absolute)."""
    shipped: bool
    """True when no ``item_bank/`` is in the working folder and the shipped bank is used."""
    looked_in: Path
    """The working folder searched for ``item_bank/``."""

    def note(self) -> str:
        """One line for stderr saying which default was taken and where it looked."""
        if self.shipped:
            return (
                f"note: --bank not given and no {DEFAULT_BANK_DIR}/ in the working folder "
                f"{self.looked_in}: using the sample bank shipped with cehrs-items ({self.path})"
            )
        return (
            f"note: --bank not given: using {DEFAULT_BANK_DIR}/ of the working folder "
            f"{self.looked_in} (the default)"
        )


def default_bank(cwd: str | Path | None = None) -> DefaultBank:
    """Resolve the ``--bank`` default: ``item_bank/`` of ``cwd`` if present, else the shipped bank.

    Raises
    ------
    InputError
        If ``cwd`` holds an ``item_bank`` that is not a bank folder (no ``blueprint.yaml`` or
        no ``items/``); the message says that this is the default and where it looked.
    """
    here = Path.cwd() if cwd is None else Path(cwd)
    local = here / DEFAULT_BANK_DIR
    if local.exists():
        missing = [
            name
            for name, ok in (
                ("blueprint.yaml", (local / "blueprint.yaml").is_file()),
                ("items/", (local / "items").is_dir()),
            )
            if not ok
        ]
        if missing:
            raise InputError(
                f"{DEFAULT_BANK_DIR}: the --bank default ({DEFAULT_BANK_DIR}/ found in the "
                f"working folder {here}) is not a bank folder (no {' and no '.join(missing)}); "
                "give --bank DIR"
            )
        return DefaultBank(path=Path(DEFAULT_BANK_DIR), shipped=False, looked_in=here)
    return DefaultBank(path=shipped_bank(), shipped=True, looked_in=here)


def bank_label(path: str | Path) -> str:
    """How outputs name a bank: its path as given, or ``<sample bank>`` for the shipped one
    (outputs carry no absolute paths)."""
    p = Path(path)
    return "<sample bank>" if p.is_absolute() and is_shipped_bank(p) else p.as_posix()
