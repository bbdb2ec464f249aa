"""The ``cehrs-items`` Typer application and its error handling.

Each command group lives in its own module exposing ``register(app)``; this module
adds them in :data:`COMMAND_MODULES` order. Library errors (:class:`CehrsError`)
become ``error: <message>`` on stderr with the error's exit code (2 for bad input,
1 for failed checks and infeasible problems); anything unexpected becomes
``internal error: <Type>: <message>`` with exit code 2, and a traceback only with
``--debug``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from cehrs_items import __version__
from cehrs_items.errors import CehrsError

COMMAND_MODULES: tuple[str, ...] = (
    "validate",
    "bank",
    "simulate",
    "assemble",
    "form",
    "analyze",
    "calibrate",
    "equate",
    "scale",
    "score",
    "report",
    "demo",
)
"""Modules of :mod:`cehrs_items.cli` that register commands, in help order."""


class _ErrorHandlingGroup(TyperGroup):
    """Top-level group that turns exceptions into one-line messages and exit codes."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except CehrsError as exc:
            if _debug(ctx):
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
            if _debug(ctx):
                raise
            typer.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            raise typer.Exit(2) from None


def _debug(ctx: typer.Context) -> bool:
    root = ctx.find_root()
    return bool(root.obj and root.obj.get("debug"))


app = typer.Typer(
    name="cehrs-items",
    cls=_ErrorHandlingGroup,
    help=(
        "Question-bank authoring and psychometrics for the CEHRS exam: validate item files, "
        "assemble forms, analyse responses, calibrate, equate and report.\n\n"
        "Example: cehrs-items validate item_bank/"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cehrs-items {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a traceback when a command fails.")
    ] = False,
) -> None:
    """Global options."""
    ctx.obj = {"debug": debug}


for _name in COMMAND_MODULES:
    importlib.import_module(f"cehrs_items.cli.{_name}").register(app)


def main() -> None:
    """Entry point of the ``cehrs-items`` console script."""
    try:
        app(prog_name="cehrs-items")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        sys.exit(code)
