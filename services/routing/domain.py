"""Routing's rules: who is responsible for a ticket.

Pure Python. The order of certainty:

1. an explicit catalogue category decides (派单目录);
2. otherwise the department whose responsibilities' keywords the text
   matches best (职责清单);
3. otherwise the government of the district the place is in (属地);
4. otherwise nobody can say: the ticket waits for a human dispatcher.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    name_en: str = ""
    phone: str = ""
    keywords: tuple = ()
    areas: tuple = ()


@dataclass(frozen=True)
class Decision:
    department: Department | None
    time_limit_class: str
    rule: str
    reasons: list = field(default_factory=list)

    @property
    def decided(self):
        return self.department is not None


class Directory:
    """Departments, districts and the dispatch catalogue of one city."""

    def __init__(self, departments, districts=(), catalogue=(), version=1):
        self.departments = {d.code: d for d in departments}
        self.district_office = {d["name"]: d["department"] for d in districts}
        self.catalogue = {c["code"]: c for c in catalogue}
        self.version = version

    @classmethod
    def from_dict(cls, data):
        departments = [
            Department(code=d["code"], name=d["name"], name_en=d.get("name_en", ""),
                       phone=str(d.get("phone", "")), keywords=tuple(d.get("keywords", ())),
                       areas=tuple(d.get("areas", ())))
            for d in data.get("departments", [])
        ]
        return cls(departments, data.get("districts", []), data.get("catalogue", []),
                   int(data.get("version", 1)))

    def keyword_matches(self, text):
        """``{department code: [matched keywords]}`` for the words found in ``text``."""
        lowered = text.lower()
        matches = {}
        for dept in self.departments.values():
            found = [kw for kw in dept.keywords if kw.lower() in lowered]
            if found:
                matches[dept.code] = found
        return matches


def decide(ticket, directory):
    """The department responsible for ``ticket`` (a ``ticket_created`` body)."""
    category = directory.catalogue.get(ticket.get("category") or "")
    if category:
        dept = directory.departments[category["department"]]
        return Decision(dept, category.get("class", "general"), "catalogue",
                        [f"category {category['code']} ({category['name']}) belongs to {dept.name}"])

    text = f"{ticket.get('title') or ''} {ticket.get('description') or ''}"
    matches = directory.keyword_matches(text)
    if matches:
        # Most distinct keywords wins; longer keywords are more specific.
        def weight(code):
            return (len(matches[code]), sum(len(k) for k in matches[code]))

        ranked = sorted(matches, key=weight, reverse=True)
        best = directory.departments[ranked[0]]
        reasons = [f"keywords {', '.join(matches[best.code])} are {best.name}'s responsibility"]
        if len(ranked) > 1 and weight(ranked[0]) == weight(ranked[1]):
            reasons.append(f"tied with {directory.departments[ranked[1]].name}; chose by directory order")
        return Decision(best, "general", "keywords", reasons)

    office = directory.district_office.get(ticket.get("district") or "")
    if office:
        dept = directory.departments[office]
        return Decision(dept, "general", "place",
                        [f"no responsibility matched; {ticket['district']} is {dept.name}'s area (属地)"])

    return Decision(None, "general", "manual",
                    ["no category, no responsibility matched the text, and no district given"])
