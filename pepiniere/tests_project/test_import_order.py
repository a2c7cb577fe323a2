"""The lifecycle order is the import order (DESIGN.md, Architecture): a later stage reads an earlier
one, never the reverse. Every module's imports are read with ast, those inside functions and under
``if TYPE_CHECKING:`` too, and an import of a later stage fails this test.

When an earlier stage needs what a later one knows, the earlier one declares a
``pepiniere.lib.extension.ExtensionPoint`` and the later one registers into it in its
``AppConfig.ready()`` (experts reading the application they evaluate, the awards behind the
« first-time beneficiary » tag, the organisations whose join requests an officer decides)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]

# Shared by every stage, importing none: helpers, the audit trail, the pure engine.
FOUNDATION = ["lib", "audit", "engine"]
# The lifecycle, earliest first (DESIGN.md). builder (the officers' call builder) reads whether
# answers and scores already exist before a change, so it comes after the stages it reads; the
# home page (each role's work), the api and the demo read everything and come last.
STAGES = [
    "territories",
    "accounts",
    "organisations",
    "programmes",
    "calls",
    "applications",
    "reviews",
    "selection",
    "grants",
    "builder",
    "agreements",
    "payments",
    "crowdfunding",
    "portfolio",
    "accelerator",
    "impact",
    "opendata",
    "home",
    "api",
    "demo",
]
ORDER = FOUNDATION + STAGES

# Modules not checked: tests and test infrastructure (they arrange whole worlds across stages),
# migrations (they name other apps by string), and management commands of the demo.
EXEMPT_DIRECTORIES = {"tests", "tests_project", "tests_browser", "migrations", "locale"}
EXEMPT_PREFIXES = ("lib/testing/", "demo/management/")

# Imports against the flow that are kept on purpose, each with its reason: (module, stage).
# An entry that no longer matches an import fails the test, so the list only shrinks.
KNOWN_EXCEPTIONS = {
    # Annotation only (under TYPE_CHECKING): the authenticated request's user is an account.
    ("lib/http.py", "accounts"),
    # The person's own data, exported and erased on request (RGPD articles 15, 17 and 20):
    # gathers what every stage holds about them. To do: each stage registers its part.
    ("accounts/privacy.py", "organisations"),
    ("accounts/privacy.py", "calls"),
    ("accounts/privacy.py", "applications"),
    ("accounts/privacy.py", "reviews"),
    ("accounts/privacy.py", "api"),
    # A page served only in DEMO_MODE, naming the demo's second-factor accounts.
    ("accounts/mfa_views.py", "demo"),
}


def checked_modules() -> list[Path]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) < 2 or relative.parts[0] not in ORDER:
            continue
        if EXEMPT_DIRECTORIES.intersection(relative.parts) or relative.as_posix().startswith(
            EXEMPT_PREFIXES
        ):
            continue
        modules.append(path)
    return modules


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every import of the module, wherever it is written."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "pepiniere":  # from pepiniere import reviews
                found.extend((node.lineno, f"pepiniere.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, node.module))
    return found


def stage_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    if len(parts) > 1 and parts[0] == "pepiniere" and parts[1] in ORDER:
        return parts[1]
    return None


def rank(stage: str) -> int:
    # The foundation sits below every stage; within it, nothing may import a stage.
    return -1 if stage in FOUNDATION else STAGES.index(stage)


def backward_imports() -> set[tuple[str, str, int]]:
    """(module, imported stage, line) for each import of a later stage."""
    found: set[tuple[str, str, int]] = set()
    for path in checked_modules():
        relative = path.relative_to(PACKAGE).as_posix()
        own = relative.split("/", 1)[0]
        for line, dotted in imported_modules(ast.parse(path.read_text(), filename=relative)):
            stage = stage_of(dotted)
            if stage is None or stage == own or stage in FOUNDATION:
                continue
            if rank(stage) > rank(own):
                found.add((relative, stage, line))
    return found


def test_no_module_imports_a_later_stage_of_the_lifecycle():
    offending = sorted(
        f"{module}:{line} imports pepiniere.{stage}"
        for module, stage, line in backward_imports()
        if (module, stage) not in KNOWN_EXCEPTIONS
    )
    assert not offending, (
        "An earlier stage imports a later one; declare an ExtensionPoint in the earlier stage "
        "and register into it from the later stage's AppConfig.ready():\n" + "\n".join(offending)
    )


def test_every_known_exception_is_still_needed():
    still_there = {(module, stage) for module, stage, _line in backward_imports()}
    assert not KNOWN_EXCEPTIONS - still_there, KNOWN_EXCEPTIONS - still_there


def test_the_checker_sees_imports_inside_functions_and_every_spelling():
    tree = ast.parse(
        "from pepiniere import reviews\n"
        "def f():\n"
        "    import pepiniere.grants.models\n"
        "    from pepiniere.selection.selectors import sent_scenario\n"
    )
    stages = {stage_of(name) for _line, name in imported_modules(tree)}
    assert stages == {"reviews", "grants", "selection"}


def test_every_app_of_the_package_has_its_place_in_the_order():
    apps = {
        p.name
        for p in PACKAGE.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and not p.name.startswith("tests")
    }
    assert apps <= set(ORDER), apps - set(ORDER)
