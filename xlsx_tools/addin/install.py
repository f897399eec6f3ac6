"""`tipwp addin install`: build the add-in into Excel's add-in folder and write xlwings' settings for this Python.

Windows: %APPDATA%\\Microsoft\\AddIns (Excel lists it under File > Options > Add-ins > Excel Add-ins > Browse…).
macOS: ~/Library/Containers/com.microsoft.Excel/Data/Library/Application Support/Microsoft/Office/Add-Ins (the
sandboxed folder Excel may open). Other systems have no Excel: the plan is printed, nothing is written.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from xlsx_tools.addin.build import PROJECT_NAME, build_addin

ADDIN_NAME = "tipwp.xlam"
MAC_ADDINS = "Library/Containers/com.microsoft.Excel/Data/Library/Application Support/Microsoft/Office/Add-Ins"


@dataclass
class InstallPlan:
    system: str
    addin: Path | None  # where the add-in goes; None when this system has no Excel
    config: Path | None  # xlwings' settings file for the add-in
    settings: dict[str, str] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)  # what the person still does in Excel, once


def install_plan(
    system: str = sys.platform, home: Path | None = None, env: dict[str, str] | None = None
) -> InstallPlan:
    env = dict(os.environ) if env is None else env
    home = home or Path.home()
    python = sys.executable
    steps = [
        "Start Excel. File > Options > Add-ins > Manage: Excel Add-ins > Go… > Browse…, pick the file above, tick "
        "'Tipwp', OK. A 'TIP Work Plan' tab appears on the ribbon.",
        "The add-in folder is one of Excel's default trusted locations (File > Options > Trust Center > Trust Center "
        "Settings > Trusted Locations); if your organisation removed it, add the folder there.",
        "If Excel says the macros are blocked: right-click the file in Explorer > Properties > tick 'Unblock' > OK, "
        "then restart Excel.",
    ]
    if system.startswith("win"):
        folder = Path(env.get("APPDATA") or home / "AppData" / "Roaming") / "Microsoft" / "AddIns"
        config = Path(env.get("USERPROFILE") or home) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"
        return InstallPlan("Windows", folder / ADDIN_NAME, config, {"INTERPRETER_WIN": python}, steps)
    if system == "darwin":
        config = home / "Library/Containers/com.microsoft.Excel/Data" / f"{PROJECT_NAME}.conf"
        steps = ["Run 'xlwings runpython install' once (xlwings' AppleScript bridge for RunPython).", steps[0]]
        return InstallPlan("macOS", home / MAC_ADDINS / ADDIN_NAME, config, {"INTERPRETER_MAC": python}, steps)
    return InstallPlan(system, None, None, {}, steps)


def config_text(settings: dict[str, str]) -> str:
    """xlwings' config file format: one "KEY","value" line per setting."""
    return "".join(f'"{key}","{value}"\n' for key, value in settings.items())


def install(plan: InstallPlan) -> list[str]:
    """Carry out `plan` (or, without Excel, describe it). Returns the lines to show the person."""
    if plan.addin is None or plan.config is None:
        return [
            f"This system ({plan.system}) has no Microsoft Excel, so nothing was installed. On Windows this command",
            "  builds tipwp.xlam into %APPDATA%\\Microsoft\\AddIns, and writes %USERPROFILE%\\.tipwp\\tipwp.conf",
            "  telling xlwings to run this package's Python (INTERPRETER_WIN). On macOS it uses Excel's sandboxed",
            "  Add-Ins folder and its container's tipwp.conf.",
            "  'tipwp addin build --out tipwp.xlam' makes the file here.",
        ]
    build_addin(plan.addin)
    plan.config.parent.mkdir(parents=True, exist_ok=True)
    plan.config.write_text(config_text(plan.settings), encoding="utf-8")
    lines = [f"Installed {plan.addin}", f"Wrote xlwings settings {plan.config} (Python: {sys.executable})", "Then:"]
    return lines + [f"  {number}. {step}" for number, step in enumerate(plan.steps, start=1)]
