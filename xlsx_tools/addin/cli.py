"""`tipwp addin build|install`. Imports stay inside the commands so that `tipwp --help` stays fast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

addin_app = typer.Typer(
    help="The Excel ribbon add-in (TIP Work Plan tab).", no_args_is_help=True, rich_markup_mode=None
)


@addin_app.command("build")
def build(
    out: Annotated[Path, typer.Option("--out", help="where to write the add-in")] = Path("tipwp.xlam"),
) -> None:
    """Build the add-in from macros/ and xlwings' ribbon add-in template."""
    from xlsx_tools.addin.build import BuildError, build_addin

    try:
        path = build_addin(out)
    except BuildError as exc:
        typer.echo(f"Cannot build the add-in: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {path}")


@addin_app.command("install")
def install() -> None:
    """Put the add-in into Excel's add-in folder (Windows, macOS); elsewhere say what it would do."""
    from xlsx_tools.addin.build import BuildError
    from xlsx_tools.addin.install import install as run_install
    from xlsx_tools.addin.install import install_plan

    try:
        lines = run_install(install_plan())
    except (BuildError, OSError) as exc:
        typer.echo(f"Cannot install the add-in: {exc}", err=True)
        raise typer.Exit(2) from None
    for line in lines:
        typer.echo(line)
