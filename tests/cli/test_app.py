import subprocess
import sys

from typer.testing import CliRunner

from cehrs_items import __version__
from cehrs_items.cli.app import app

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"cehrs-items {__version__}\n"


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "cehrs_items", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.startswith("cehrs-items ")


def test_unknown_command_is_usage_error():
    result = runner.invoke(app, ["no-such-command"])
    assert result.exit_code == 2


def test_console_script_imports_only_the_command_it_runs():
    code = (
        "import sys; sys.argv = ['cehrs-items', 'validate', '--help'];"
        "from cehrs_items.cli import app;"
        "import contextlib, io;"
        "buf = io.StringIO();"
        "ctx = contextlib.redirect_stdout(buf);"
        "ctx.__enter__();"
        "\ntry:\n    app.main()\nexcept SystemExit:\n    pass\n"
        "ctx.__exit__(None, None, None);"
        "print(sorted(m for m in ('scipy', 'matplotlib') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_has_an_owner_module():
    from cehrs_items.cli.app import COMMAND_OWNERS

    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert names == set(COMMAND_OWNERS)
