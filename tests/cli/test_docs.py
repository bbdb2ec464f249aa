"""docs/cli.md and docs/rules.md are generated, current, and every command is documented."""

from __future__ import annotations

import subprocess
import sys

from cehrs_items.cli.docs import (
    DOCS_DIR,
    cli_markdown,
    generated_files,
    help_problems,
    main,
    stale_files,
    walk_commands,
)

REGENERATE = "python -m cehrs_items.cli.docs --write"


def test_generated_docs_are_current():
    for path, content in generated_files().items():
        assert path.exists(), f"{path.name} missing; run `{REGENERATE}`"
        assert path.read_text(encoding="utf-8") == content, (
            f"{path.relative_to(DOCS_DIR.parent)} is stale; run `{REGENERATE}`"
        )


def test_every_command_and_option_has_help_and_every_command_an_example():
    assert help_problems() == []


def test_every_command_is_in_the_reference():
    text = cli_markdown()
    names = [name for name, _, _ in walk_commands()]
    assert "cehrs-items validate" in names
    for name in names:
        assert f"\n## {name}\n" in text


def test_reference_does_not_depend_on_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    narrow = cli_markdown()
    monkeypatch.setenv("COLUMNS", "250")
    assert cli_markdown() == narrow


def test_help_problems_catch_missing_help_and_example():
    import typer

    demo = typer.Typer(rich_markup_mode=None)

    @demo.command()
    def first(flag: bool = typer.Option(False, "--flag")) -> None:
        """Does something."""

    @demo.command()
    def second() -> None:
        """Does more.

        Example: demo second
        """

    problems = help_problems(typer.main.get_command(demo))
    assert "cehrs-items first: help has no 'Example:' line" in problems
    assert "cehrs-items first: --flag has no help text" in problems
    assert not any(p.startswith("cehrs-items second") for p in problems)


def test_module_entry_points(capsys):
    assert main([]) == 0
    assert capsys.readouterr().out == cli_markdown()
    expected = 1 if stale_files() else 0
    assert main(["--check"]) == expected
    assert main(["--bogus"]) == 2
    proc = subprocess.run(
        [sys.executable, "-m", "cehrs_items.cli.docs", "--check"], capture_output=True, text=True
    )
    assert proc.returncode == expected, proc.stderr
