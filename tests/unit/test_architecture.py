"""The shape of the code, read from the source with ``ast`` (nothing is imported).

* no import cycle among the project's packages (shared, services, hotline, operate),
  counting imports inside functions too: a cycle hidden in a function is still one;
* the ``hotline`` CLI is a client: no module under hotline/ imports a service's code,
  and ``operate`` (which may) is never imported back by it;
* a service class has one base (``Operable``): no mixins assembling ``self``.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "services", "hotline", "operate")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules():
    """``{module name: path}`` of every module of the packages."""
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def imported_names(path, name):
    """Every module name ``path`` (module ``name``) imports, at any depth of the file:
    ``import a.b`` gives ``a.b``; ``from a import b`` gives ``a.b`` and ``a``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package up
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield f"{base}.{alias.name}"
            yield base


def runtime_nodes(tree):
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``: an import only the
    type checker reads runs at no time, so it makes no cycle."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test) and child in node.body:
                continue
            todo.append(child)


def resolve(name, modules):
    """The project module ``name`` means (its longest prefix that is one), or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph():
    modules = project_modules()
    graph = {}
    for name, path in modules.items():
        targets = {resolve(imported, modules) for imported in imported_names(path, name)}
        graph[name] = sorted(t for t in targets if t and t != name)
    return graph


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def path_within(graph, component):
    """One cycle through ``component``, as ``a -> b -> ... -> a``, to say where to cut."""
    members, start = set(component), component[0]
    trail, seen = [start], {start}
    while True:
        step = next(t for t in graph[trail[-1]] if t in members)
        if step in seen:
            return " -> ".join([*trail[trail.index(step):], step])
        trail.append(step)
        seen.add(step)


def test_the_graph_is_read_from_the_code():
    graph = import_graph()
    assert "operate.local" in graph["hotline.insight_demo"]  # a module-level import
    assert "hotline.client" in graph["hotline.routing_cli"]   # a function-level import
    assert "shared.platform.config" in graph["hotline.client"]  # ``from shared.platform import config``-style
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert cycles({"a": ["b"], "b": []}) == []


def test_no_import_cycle_in_the_packages():
    graph = import_graph()
    found = [path_within(graph, component) for component in cycles(graph)]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_the_cli_imports_no_service_code():
    graph = import_graph()
    offending = {name: [t for t in targets if t.split(".")[0] == "services"]
                 for name, targets in graph.items() if name.split(".")[0] == "hotline"}
    assert not {name: targets for name, targets in offending.items() if targets}
    # nor an import the graph cannot resolve (``import services`` alone, a service module that is gone)
    for name, path in project_modules().items():
        if name.split(".")[0] == "hotline":
            assert not [i for i in imported_names(path, name) if i.split(".")[0] == "services"], name


def test_operate_never_imports_the_client():
    graph = import_graph()
    assert not {name: [t for t in targets if t.startswith("hotline")]
                for name, targets in graph.items()
                if name.startswith("operate") and any(t.startswith("hotline") for t in targets)}


def service_classes():
    """``(file, class, bases)`` of each class in services/*/service.py with a ``name = "..."``."""
    for path in sorted(ROOT.glob("services/*/service.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(item, ast.Assign) and any(getattr(t, "id", None) == "name" for t in item.targets)
                    and isinstance(item.value, ast.Constant) and isinstance(item.value.value, str)
                    for item in node.body):
                yield path.relative_to(ROOT), node.name, [ast.unparse(base) for base in node.bases]


def test_every_service_is_found():
    assert {path.parts[1] for path, _, _ in service_classes()} >= {
        "intake", "routing", "followup", "notify", "insight", "callcentre", "console"}


def test_a_service_class_has_one_base():
    many = {f"{path}:{cls}": bases for path, cls, bases in service_classes() if len(bases) > 1}
    assert not many, f"service classes assembled from mixins: {many}"


ENTRYPOINT_LINES = 5  # docs/architecture.md: a door translates, a handler works


def entrypoint_bodies():
    """``(file:Class.method, lines)`` of each decorated method of the service classes, its
    docstring left out."""
    for path in sorted(ROOT.glob("services/*/service.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            for method in node.body:
                if not (isinstance(method, ast.FunctionDef) and method.decorator_list):
                    continue
                body = method.body
                if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    body = body[1:]
                lines = body[-1].end_lineno - body[0].lineno + 1 if body else 0
                yield f"{path.relative_to(ROOT)}:{node.name}.{method.name}", lines


def test_an_entrypoint_only_hands_the_door_to_a_handler():
    methods = dict(entrypoint_bodies())
    assert len(methods) > 200  # every service's doors were read
    long = {name: lines for name, lines in methods.items() if lines > ENTRYPOINT_LINES}
    assert not long, f"entrypoints doing a handler's work (more than {ENTRYPOINT_LINES} lines): {long}"
