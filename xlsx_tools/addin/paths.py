"""Where a workbook open in Excel lives on disk. Excel reports files in synced OneDrive/SharePoint folders by their
https URL; Python needs the local copy. Resolved from the sync client's folders, or an error that says what to do."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse


class PathError(ValueError):
    """The workbook's local path cannot be found; the message says why and what to do."""


def local_path(fullname: str, env: Mapping[str, str] | None = None) -> Path:
    """`Book.fullname` → an existing local file. Plain paths pass through; https URLs are mapped to synced folders."""
    if not fullname.lower().startswith(("https://", "http://")):
        path = Path(fullname)
        if not path.is_file():
            raise PathError(f"{fullname} is not a saved file on this computer; save the workbook to a folder first.")
        return path
    for candidate in candidates(fullname, os.environ if env is None else env):
        if candidate.is_file():
            return candidate
    name = unquote(urlparse(fullname).path.rsplit("/", 1)[-1])
    raise PathError(
        f"Excel reports this workbook by its web address ({fullname}), and no synced copy of it was found on this "
        f"computer. Open {name} from a folder that OneDrive syncs (File Explorer > OneDrive), or save a copy to a "
        "local folder with File > Save As > Browse, then click the button again."
    )


def candidates(url: str, env: Mapping[str, str]) -> list[Path]:
    """Local paths the sync client may use for `url`, most likely first."""
    parsed = urlparse(url)
    parts = [unquote(p) for p in parsed.path.split("/") if p]
    names = [env.get(key, "") for key in ("OneDriveCommercial", "OneDriveConsumer", "OneDrive")]
    roots = [Path(r) for r in dict.fromkeys(names) if r]
    out: list[Path] = []
    if parsed.netloc.lower() == "d.docs.live.net" and len(parts) > 1:
        # personal OneDrive: https://d.docs.live.net/<cid>/<path in OneDrive>
        out += [root / Path(*parts[1:]) for root in roots]
    elif "-my.sharepoint.com" in parsed.netloc.lower() and len(parts) > 3 and parts[0] == "personal":
        # OneDrive for work: https://<tenant>-my.sharepoint.com/personal/<user>/Documents/<path>
        out += [root / Path(*parts[3:]) for root in roots]
    elif ".sharepoint.com" in parsed.netloc.lower() and len(parts) > 3 and parts[0] in ("sites", "teams"):
        # a synced team library: <profile>/<Organisation>/<Site> - <Library>/<path>
        site, library, rest = parts[1], parts[2], parts[3:]
        profile = Path(env.get("USERPROFILE") or env.get("HOME") or Path.home())
        for organisation in _folders(profile):
            for folder in _folders(organisation):
                if folder.name.lower().startswith(site.lower()) and folder.name.lower().endswith(_library(library)):
                    out.append(folder / Path(*rest))
    return out


def _library(name: str) -> str:
    return ("documents" if name.lower() == "shared documents" else name.lower()).strip()


def _folders(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_dir()]
    except OSError:
        return []
