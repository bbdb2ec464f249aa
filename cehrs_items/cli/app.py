"""The ``cehrs-items`` Typer application and its error handling.

Each command group lives in its own module exposing ``register(app)``; this module
adds them in :data:`COMMAND_MODULES` order. Library errors (:class:`CehrsError`)
become ``error: <message>`` on stderr with the error's exit code (2 for bad input,
1 for failed checks and infeasible problems); anything unexpected becomes
``internal error: <Type>: <message>`` with exit code 2, and a traceback only with
``--debug`` (reaching that last resort is a bug: the robustness suite fails on it). Data
warnings raised while a command runs (:func:`cehrs_items.errors.warn_data`) are printed
as ``warning: <message>`` on stderr as they occur; a command's ``--strict`` turns them
into errors.
"""

from __future__ import annotations

import importlib
import signal
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from cehrs_items import __version__
from cehrs_items.cli.options import run_info_from_context
from cehrs_items.errors import CehrsError, collect_warnings
from cehrs_items.io import run_context

COMMAND_MODULES: tuple[str, ...] = (
    "validate",
    "bank",
    "simulate",
    "assemble",
    "form",
    "analyze",
    "calibrate",
    "equate",
    "standard_setting",
    "scale",
    "score",
    "report",
    "demo",
    "rules",
    "init",
    "exchange",
)
"""Modules of :mod:`cehrs_items.cli` that register commands, in help order."""


class _ErrorHandlingGroup(TyperGroup):
    """Top-level group that turns exceptions into one-line messages and exit codes."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            # Data warnings are echoed and collected; every output written by the command
            # records them and its command line (manifest).
            with collect_warnings(echo=_echo_warning), run_context(run_info_from_context):
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
        except (Exception, _PanicException) as exc:  # noqa: BLE001 - the last line of defence
            if _debug(ctx):
                raise
            typer.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            raise typer.Exit(2) from None


try:  # Rust panics in Polars surface as a BaseException; the boundary catches them too.
    from polars.exceptions import PanicException as _PanicException
except ImportError:  # pragma: no cover - polars is a core dependency
    _PanicException = Exception


def _echo_warning(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


def _debug(ctx: typer.Context) -> bool:
    root = ctx.find_root()
    return bool(root.obj and root.obj.get("debug"))


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cehrs-items {__version__}")
        raise typer.Exit(0)


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


# Which module registers each top-level command: lets the console script import only the
# module of the command it runs (scipy and matplotlib stay unloaded for `validate`, which
# matters in pre-commit hooks).
COMMAND_OWNERS: dict[str, str] = {
    "validate": "validate",
    "bank": "bank",
    "simulate": "simulate",
    "assemble": "assemble",
    "form": "form",
    "analyze": "analyze",
    "calibrate": "calibrate",
    "link": "calibrate",
    "score-theta": "calibrate",
    "equate": "equate",
    "standard-setting": "standard_setting",
    "scale": "scale",
    "score": "score",
    "report": "report",
    "demo": "demo",
    "rules": "rules",
    "init": "init",
    "export": "exchange",
    "import": "exchange",
}


def build_app(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """The Typer application with the commands of ``modules`` registered."""
    application = typer.Typer(
        name="cehrs-items",
        cls=_ErrorHandlingGroup,
        help=(
            "Question-bank authoring and psychometrics for the CEHRS exam: validate item "
            "files, assemble forms, analyse responses, calibrate, equate and report.\n\n"
            "Example: cehrs-items validate item_bank/"
        ),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode=None,
    )
    application.callback()(_root)
    for name in modules:
        importlib.import_module(f"cehrs_items.cli.{name}").register(application)
    return application


def _modules_for(argv: list[str]) -> tuple[str, ...]:
    """Only the module of the command named in ``argv``; every module for help or typos."""
    for token in argv:
        if token.startswith("-"):
            continue
        owner = COMMAND_OWNERS.get(token)
        return (owner,) if owner is not None else COMMAND_MODULES
    return COMMAND_MODULES


def __getattr__(name: str) -> Any:
    # ``app`` (every command) is built on first use, so importing this module stays cheap.
    if name == "app":
        application = build_app()
        globals()["app"] = application
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _terminate(signum: int, _frame: object) -> None:
    sys.exit(128 + signum)


def main() -> None:
    """Entry point of the ``cehrs-items`` console script."""
    application = build_app(_modules_for(sys.argv[1:]))
    # A terminated command unwinds like an interrupted one, so its staged outputs and
    # temporary files (spilled patterns) are removed; exit status 128 + SIGTERM.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        application(prog_name="cehrs-items")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        sys.exit(code)
