"""The department directory (职责清单) and the dispatch catalogue (派单目录).

Pure Python. A :class:`Department` is what a city publishes about a body that
takes work orders: its code, name, public phone, the catalogue categories and
keywords (Chinese and English) it answers for, and -- for district, street and
zone offices -- the places it covers. ``kind`` says which:

* ``municipal`` -- a city bureau, responsible for a subject everywhere;
* ``district`` / ``street`` -- a government office responsible for its area
  (属地) when no subject owner is known;
* ``community`` -- a community (社区) under a street office: it takes what its
  street passes down to it; routing's rules never choose it (its keywords and
  areas are not read);
* ``zone`` -- a body that alone covers a place (a scenic area, a port): a
  ticket there goes to it whatever the subject.

The directory is a tree (``shared.contract.units``): each department names its
``parent``, ``""`` for a city bureau or a district government; a street office's
parent is its district's government unless it says otherwise, a community's is
a street office. Each unit has its own ``duties`` (职责清单: short lines of what
it answers for) beside its contacts.

A :class:`Directory` is one version of the whole directory, immutable; routing
builds a new one after every change and each decision records the version.
"""
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from shared.contract import units
from shared.contract.field_errors import message

Entry = dict[str, Any]  # a catalogue entry: code, name, department, class, keywords...
Ticket = Mapping[str, Any]

KINDS = ("municipal", "district", "street", "community", "zone")
TOP_KINDS = ("municipal", "district")  # at the top of the tree: no parent
DEPARTMENT_FIELDS = ("code", "name", "name_en", "phone", "kind", "keywords", "areas",
                     "district", "retired", "contacts", "parent", "duties")
DUTIES = 50        # lines of a unit's 职责清单
DUTY_LENGTH = 200  # characters of one line
CONTACT_FIELDS = ("email", "webhook", "sms", "language")
LANGUAGES = ("zh", "en")
# Which time-limit class is stricter (a shorter limit): when a text names several
# categories, the strictest wins, so an emergency or a utility is never lost.
STRICTNESS = {"emergency": 0, "urgent": 1, "utilities": 1, "general": 2, "complex": 3}


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    name_en: str = ""
    phone: str = ""
    kind: str = "municipal"
    keywords: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    district: str = ""  # the district a street office belongs to
    retired: bool = False
    contacts: dict[str, str] = field(default_factory=dict, compare=False)  # email, webhook, sms, language
    parent: str = ""  # the code of the unit it belongs to; "" for a city bureau or a district
    duties: tuple[str, ...] = ()  # its 职责清单, one short line each
    categories: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Department":
        areas = tuple(data.get("areas") or ())
        kind = data.get("kind") or ("district" if areas else "municipal")
        if kind not in KINDS:
            raise ValueError(f"department {data.get('code')}: kind must be one of {', '.join(KINDS)}")
        return cls(code=str(data["code"]), name=str(data["name"]),
                   name_en=str(data.get("name_en") or ""), phone=str(data.get("phone") or ""),
                   kind=kind, keywords=tuple(str(k) for k in data.get("keywords") or ()),
                   areas=areas, district=str(data.get("district") or ""),
                   retired=bool(data.get("retired", False)),
                   contacts={k: str(v) for k, v in (data.get("contacts") or {}).items()
                             if k in CONTACT_FIELDS and v},
                   parent=str(data.get("parent") or "").strip(),
                   duties=tuple(str(d).strip() for d in data.get("duties") or () if str(d).strip()))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "name_en": self.name_en,
                "phone": self.phone, "kind": self.kind, "keywords": list(self.keywords),
                "areas": list(self.areas), "district": self.district, "retired": self.retired,
                "contacts": dict(self.contacts), "parent": self.parent, "duties": list(self.duties)}


def seed_departments(city: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Department dicts from a city file: ``departments``, ``offices`` and ``communities``;
    a street office without a ``parent`` gets its district's government."""
    given = [*(city.get("departments") or []), *(city.get("offices") or []), *(city.get("communities") or [])]
    tree = Directory(given, (), 1, city.get("districts") or ())
    return [dict(d, parent=tree.all[str(d["code"])].parent) if not d.get("parent") else dict(d)
            for d in given]


def seed_catalogue(city: Mapping[str, Any]) -> list[Entry]:
    """Catalogue entries from a city file, with ``catalogue_details`` merged in."""
    details = city.get("catalogue_details") or {}
    return [{**entry, **details.get(entry["code"], {})} for entry in city.get("catalogue") or []]


class Directory:
    """One version of the city's departments and dispatch catalogue."""

    def __init__(self, departments: Iterable[Department | Mapping[str, Any]], catalogue: Iterable[Entry] = (),
                 version: int = 1, districts: Iterable[Mapping[str, Any]] = ()) -> None:
        catalogue = list(catalogue)
        by_department: dict[str, list[str]] = {}
        for entry in catalogue:
            by_department.setdefault(entry["department"], []).append(entry["code"])
        self.all: dict[str, Department] = {}
        for given in departments:
            dept = given if isinstance(given, Department) else Department.from_dict(given)
            self.all[dept.code] = replace(dept, categories=tuple(by_department.get(dept.code, ())))
        self.departments = {c: d for c, d in self.all.items() if not d.retired}
        self.catalogue: dict[str, Entry] = {c["code"]: c for c in catalogue}
        self.version = int(version)
        self.district_office: dict[str, str] = {}
        for district in districts:  # the seed file's explicit district list
            if district["department"] in self.departments:
                self.district_office[district["name"]] = district["department"]
        self.street_office: dict[str, str] = {}
        self.zone_office: dict[str, str] = {}
        for dept in self.departments.values():
            for area in dept.areas:
                if dept.kind == "district":
                    self.district_office.setdefault(area, dept.code)
                elif dept.kind == "street":
                    self.street_office.setdefault(area, dept.code)
                elif dept.kind == "zone":
                    self.zone_office.setdefault(area, dept.code)
        for code, dept in list(self.all.items()):  # a street belongs to its district unless it says
            default = self.default_parent(dept)
            if default != dept.parent:
                self.all[code] = replace(dept, parent=default)
                if code in self.departments:
                    self.departments[code] = self.all[code]
        self.parents = {code: dept.parent for code, dept in self.all.items()}
        self._keywords = [(dept.code, kw, kw.lower()) for dept in self.departments.values()
                          if dept.kind != "community" for kw in dept.keywords]  # a street passes work down
        self._category_words = [(entry["code"], str(kw), str(kw).lower())
                                for entry in catalogue for kw in entry.get("keywords") or ()
                                if entry["department"] in self.departments]

    @classmethod
    def from_dict(cls, city: Mapping[str, Any]) -> "Directory":
        """The directory a city file describes (version from the file)."""
        return cls(seed_departments(city), seed_catalogue(city), int(city.get("version", 1)),
                   city.get("districts") or ())

    # -- the tree ---------------------------------------------------------------

    def default_parent(self, dept: Department) -> str:
        """The parent a department has: its own, else (a street office) its district's government."""
        if dept.parent or dept.kind != "street":
            return dept.parent
        return self.district_office.get(dept.district, "")

    def children(self, code: str) -> list[str]:
        """The units in service directly below ``code``."""
        return [c for c in units.children(self.parents, code) if c in self.departments]

    def ancestors(self, code: str) -> list[str]:
        """``code``'s parent, its parent's parent, ... (nearest first)."""
        return units.ancestors(self.parents, code)

    def subtree(self, code: str) -> list[str]:
        """``code`` and every unit in service below it."""
        return [c for c in units.subtree(self.parents, code) if c == code or c in self.departments]

    def is_within(self, child: str, ancestor: str) -> bool:
        """True if ``child`` is ``ancestor`` or lies below it."""
        return units.is_within(self.parents, child, ancestor)

    def get(self, code: str | None) -> Department | None:
        """An active department, or ``None``."""
        return self.departments.get(code or "")

    def name_of(self, code: str) -> str:
        """The name a person knows a department by (its code when it is no longer in service)."""
        dept = self.departments.get(code)
        return dept.name if dept else code

    def resolve(self, label: object) -> str | None:
        """The code of the active department a history label names (code, name or English name)."""
        if isinstance(label, str) and label in self.departments:
            return label
        wanted = str(label).strip().lower()
        for dept in self.departments.values():
            if wanted in (dept.code.lower(), dept.name.lower(), dept.name_en.lower()):
                return dept.code
        return None

    def keyword_matches(self, text: str) -> dict[str, list[str]]:
        """``{department code: [matched keywords]}`` for the words found in ``text``."""
        lowered = text.lower()
        matches: dict[str, list[str]] = {}
        for code, keyword, lowered_kw in self._keywords:
            if lowered_kw in lowered:
                matches.setdefault(code, []).append(keyword)
        return matches

    def category_for(self, ticket: Ticket,
                     department_code: str | None = None) -> tuple[Entry | None, str | None, list[str]]:
        """``(catalogue entry, how, matched words)`` of the category a ticket belongs to.

        The one the operator picked (``how="picked"``); else the categories whose
        keywords the title or description contains (``"recognised"``), the
        strictest time-limit class first, then the decided department's, then
        the most words matched; ``(None, None, [])`` when nothing matches.
        """
        picked = self.catalogue.get(ticket.get("category") or "")
        if picked:
            return picked, "picked", []
        text = f"{ticket.get('title') or ''} {ticket.get('description') or ''}".lower()
        matched: dict[str, list[str]] = {}
        for code, keyword, lowered in self._category_words:
            if lowered and lowered in text:
                matched.setdefault(code, []).append(keyword)
        if not matched:
            return None, None, []
        best = min(matched, key=lambda code: (
            STRICTNESS.get(self.catalogue[code].get("class", "general"), 2),
            self.catalogue[code]["department"] != department_code, -len(matched[code]), code))
        return self.catalogue[best], "recognised", matched[best]

    def exclusive_body(self, ticket: Ticket) -> tuple[Department, str] | None:
        """``(department, place)`` when the ticket's place is covered by one body alone."""
        place = " ".join(str(ticket.get(k) or "") for k in ("street", "address", "title", "description"))
        for area, code in self.zone_office.items():
            if area and area in place:
                return self.departments[code], area
        return None

    def local_office(self, ticket: Ticket) -> tuple[Department, str] | None:
        """``(department, place)``: the street office, else the district government (属地)."""
        street = ticket.get("street") or ""
        address = ticket.get("address") or ""
        for area, code in self.street_office.items():
            if area and (area == street or area in address):
                return self.departments[code], area
        district = ticket.get("district") or ""
        if district in self.district_office:
            return self.departments[self.district_office[district]], district
        return None

    def catalogue_view(self) -> list[dict[str, Any]]:
        """The catalogue as intake publishes it (Open311 services), active departments only."""
        view = []
        for entry in self.catalogue.values():
            dept = self.departments.get(entry["department"])
            name = entry["name"]
            keywords = entry.get("keywords") or (list(dept.keywords[:6]) if dept else [])
            view.append({"code": entry["code"], "name": name,
                         "description": entry.get("description") or name,
                         "group": entry.get("group", ""), "keywords": list(keywords),
                         "department": entry["department"],
                         "department_name": dept.name if dept else None,
                         "class": entry.get("class", "general"),
                         "active": dept is not None})
        return view


def check_department(data: Mapping[str, Any], directory: Directory, new: bool) -> dict[str, list[str]]:
    """Field errors (``{field: [message]}``) of a department to add or update."""
    errors: dict[str, list[str]] = {}
    code = str(data.get("code") or "").strip()
    if not code:
        errors["code"] = ["required"]
    elif new and code in directory.all:
        errors["code"] = [f"{code} exists already (retired ones too); update it instead"]
    elif not new and code not in directory.all:
        errors["code"] = [f"no department {code}"]
    if new and not str(data.get("name") or "").strip():
        errors["name"] = ["required"]
    if data.get("kind") not in (None, "", *KINDS):
        errors["kind"] = [f"one of {', '.join(KINDS)}"]
    contacts = data.get("contacts")
    if contacts is not None:
        if not isinstance(contacts, dict) or set(contacts) - set(CONTACT_FIELDS):
            errors["contacts"] = [f"a mapping of {', '.join(CONTACT_FIELDS)}"]
        else:
            errors.update(check_contacts(contacts))
    for key in ("keywords", "areas"):
        value = data.get(key)
        if value is not None and (not isinstance(value, (list, tuple)) or
                                  not all(isinstance(v, str) and v.strip() for v in value)):
            errors[key] = ["a list of non-empty words"]
    duties = data.get("duties")
    if duties is not None and (not isinstance(duties, (list, tuple)) or len(duties) > DUTIES or
                               not all(isinstance(d, str) and len(d) <= DUTY_LENGTH for d in duties)):
        errors["duties"] = [message("duties", max=DUTIES, length=DUTY_LENGTH)]
    if "code" not in errors and "kind" not in errors:
        errors.update(check_parent(data, directory, code, new))
    unknown = set(data) - set(DEPARTMENT_FIELDS)
    if unknown:
        errors["_fields"] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
    return errors


def check_parent(data: Mapping[str, Any], directory: Directory, code: str, new: bool) -> dict[str, list[str]]:
    """Field errors of where a department to add or update sits in the tree: its parent
    exists and is in service, it is not inside itself, the top kinds have none, a
    community has one."""
    current = None if new else directory.all.get(code)
    given = data.get("parent")
    if given is not None and not isinstance(given, str):
        return {"parent": ["the code of a department, or empty"]}
    if current is not None and given is None and not data.get("kind"):
        return {}  # where it sits does not change
    kind = data.get("kind") or (current.kind if current else ("district" if data.get("areas") else "municipal"))
    if given is None and current is not None:
        parent = current.parent
    else:
        parent = (given or "").strip()
        if not parent and kind == "street":  # the district's government, if the directory knows it
            district = data["district"] if "district" in data else (current.district if current else "")
            parent = directory.district_office.get(str(district or ""), "")
    if not parent:
        return {"parent": [message("parent_needed")]} if kind == "community" else {}
    if kind in TOP_KINDS:
        return {"parent": [message("parent_top")]}
    found = directory.all.get(parent)
    if found is None:
        return {"parent": [message("parent_unknown", department=parent)]}
    if found.retired:
        return {"parent": [message("parent_retired", department=parent)]}
    if units.makes_cycle(directory.parents, code, parent):
        return {"parent": [message("parent_cycle", department=parent)]}
    return {}


def check_contacts(contacts: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field errors of a department's contacts (where notify tells it of its cases)."""
    errors: dict[str, list[str]] = {}
    email = contacts.get("email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(email)):
        errors["contacts.email"] = ["an e-mail address like water@city.gov.cn"]
    webhook = contacts.get("webhook")
    if webhook and not re.fullmatch(r"https?://\S+", str(webhook)):
        errors["contacts.webhook"] = ["an http:// or https:// address"]
    sms = contacts.get("sms")
    if sms and not re.fullmatch(r"\+?[0-9-]{5,20}", str(sms)):
        errors["contacts.sms"] = ["a phone number"]
    if contacts.get("language") not in (None, "", *LANGUAGES):
        errors["contacts.language"] = [f"one of {', '.join(LANGUAGES)}"]
    return errors
