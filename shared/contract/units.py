"""The directory as a tree: which unit is inside which.

Every department routing announces has a ``parent``: the code of the unit it
belongs to, ``""`` for a city bureau or a district (the top of the tree).
District governments hold their street offices (街道), streets their
communities (社区). Routing keeps the tree valid (a parent exists, is in
service, and no unit is its own ancestor); the services that mirror the
directory read it with these functions, over a mapping ``{code: parent}``.

Pure and typed: a broken map (a cycle an older store might hold) never loops,
each walk stops at a unit it has seen.
"""
from collections.abc import Iterable, Mapping

Parents = Mapping[str, str]  # {unit code: code of its parent, "" at the top}


def parents_of(departments: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """``{code: parent}`` of department documents (as routing announces them).

    A street office announced before the tree (no ``parent``) belongs to the
    district government whose ``areas`` name its ``district``, as routing reads it."""
    documents = [d for d in departments if d.get("code")]
    district_office: dict[str, str] = {}
    for d in documents:
        areas = d.get("areas")
        if d.get("kind") == "district" and isinstance(areas, (list, tuple)):
            for area in areas:
                district_office.setdefault(str(area), str(d["code"]))
    parents = {}
    for d in documents:
        parent = str(d.get("parent") or "")
        if not parent and "parent" not in d and d.get("kind") == "street":
            parent = district_office.get(str(d.get("district") or ""), "")
        parents[str(d["code"])] = parent
    return parents


def children(parents: Parents, code: str) -> list[str]:
    """The units whose parent is ``code``, sorted."""
    return sorted(c for c, p in parents.items() if p == code and c != code)


def ancestors(parents: Parents, code: str) -> list[str]:
    """``code``'s parent, its parent's parent, ... up to the top (nearest first)."""
    found: list[str] = []
    seen = {code}
    parent = parents.get(code, "")
    while parent and parent not in seen:
        found.append(parent)
        seen.add(parent)
        parent = parents.get(parent, "")
    return found


def subtree(parents: Parents, code: str) -> list[str]:
    """``code`` itself, then every unit below it (breadth first, each level sorted)."""
    below: dict[str, list[str]] = {}
    for child, parent in parents.items():
        if parent and child != parent:
            below.setdefault(parent, []).append(child)
    found, seen, level = [code], {code}, [code]
    while level:
        following = []
        for unit in level:
            for child in sorted(below.get(unit, ())):
                if child not in seen:
                    seen.add(child)
                    following.append(child)
        found += following
        level = following
    return found


def is_within(parents: Parents, child: str, ancestor: str) -> bool:
    """True if ``child`` is ``ancestor`` or lies anywhere below it."""
    return child == ancestor or ancestor in ancestors(parents, child)


def makes_cycle(parents: Parents, code: str, parent: str) -> bool:
    """True if giving ``code`` the parent ``parent`` would make it its own ancestor."""
    return bool(parent) and (parent == code or code in ancestors(parents, parent))
