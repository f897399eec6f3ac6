"""Reference data the plans cite: the ASB registry, the APA 2015 provisions, the ACTIP article references.

Aliases are resolved here and nowhere else, so "SOMED", "SOM ED" and "SOM-ED" are one body everywhere.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from xlsx_tools.plan.model import PlanDataError
from xlsx_tools.resources import load_yaml


def _norm(text: str) -> str:
    """Comparison key: case, spaces, hyphens and dots do not distinguish two ASB names."""
    return re.sub(r"[\s\-–.]+", "", text).casefold()


@dataclass(frozen=True)
class Body:
    code: str
    name: str
    aliases: tuple[str, ...]
    kind: str  # "body" (a sectoral body/organ/entity) or "group" (a collective term such as "Relevant ASBs")


@dataclass(frozen=True)
class Registry:
    bodies: tuple[Body, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The values offered in ASB dropdowns: body codes first, then collective terms."""
        return tuple(b.code for kind in ("body", "group") for b in self.bodies if b.kind == kind)

    @cached_property
    def index(self) -> dict[str, Body]:
        """Every code and alias (normalised) → its body; built once per registry."""
        index: dict[str, Body] = {}
        for body in self.bodies:
            for name in (body.code, *body.aliases):
                index.setdefault(_norm(name), body)
        return index

    def resolve(self, text: str) -> Body | None:
        """The body a written name stands for (its code or one of its aliases), or None."""
        return self.index.get(_norm(text))

    def suggest(self, text: str) -> str | None:
        """The closest known code for a misspelt name ("SOMTCC" → "SOMTC"), or None when nothing is close."""
        match = difflib.get_close_matches(_norm(text), list(self.index), n=1, cutoff=0.6)
        return self.index[match[0]].code if match else None


@dataclass(frozen=True)
class ApaProvision:
    ref: str  # "IV.A(a)", "IV.D(k)(1)"
    text: str


@dataclass(frozen=True)
class References:
    registry: Registry
    apa: tuple[ApaProvision, ...]
    actip: tuple[str, ...]

    @property
    def apa_refs(self) -> tuple[str, ...]:
        return tuple(p.ref for p in self.apa)


def _body(node: dict, kind: str, where: str) -> Body:
    code = str(node.get("code") or node.get("name") or "").strip()
    if not code:
        raise PlanDataError(where, "a registry entry needs a code")
    aliases = tuple(str(a).strip() for a in node.get("aliases") or [] if str(a).strip())
    name = str(node.get("name") or node.get("meaning") or "").strip() if kind == "body" else code
    return Body(code=code, name=name, aliases=aliases, kind=kind)


@lru_cache(maxsize=1)
def load_references() -> References:
    """Load reference/asbs.yaml, reference/apa.yaml and reference/actip.yaml (cached: they are read-only)."""
    asbs = load_yaml("workbook_templates", "reference", "asbs.yaml")
    bodies = [_body(n, "body", f"reference/asbs.yaml bodies[{i}]") for i, n in enumerate(asbs.get("bodies") or [])]
    bodies += [_body(n, "group", f"reference/asbs.yaml groups[{i}]") for i, n in enumerate(asbs.get("groups") or [])]
    codes = [b.code for b in bodies]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        raise PlanDataError("reference/asbs.yaml", f"codes listed twice: {sorted(duplicates)}")

    apa_node = load_yaml("workbook_templates", "reference", "apa.yaml")
    apa = tuple(
        ApaProvision(ref=str(n["ref"]).strip(), text=" ".join(str(n.get("text", "")).split()))
        for n in apa_node.get("provisions") or []
    )
    actip_node = load_yaml("workbook_templates", "reference", "actip.yaml")
    actip = tuple(str(n["ref"]).strip() for n in actip_node.get("articles") or [])
    return References(registry=Registry(tuple(bodies)), apa=apa, actip=actip)
