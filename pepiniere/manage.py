"""The `pepiniere` console command: Django's manage.py for the project."""

import os
import sys


def _port(arguments: list[str]) -> str:
    """The value of ``--port N`` / ``--port=N`` among the demo command's arguments (8000 if
    absent; a bad value is left for the command's own parser to refuse)."""
    for index, argument in enumerate(arguments):
        if argument == "--port" and index + 1 < len(arguments):
            return arguments[index + 1]
        if argument.startswith("--port="):
            return argument.split("=", 1)[1]
    return "8000"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pepiniere.settings")
    if sys.argv[1:2] == ["demo"]:
        # The demo always runs on its own database file, rebuilt from scratch, and with DEBUG on.
        var_dir = os.environ.get("PEPINIERE_VAR_DIR", os.path.join(os.getcwd(), "var"))
        os.environ["DATABASE_URL"] = "sqlite:///" + os.path.join(
            os.path.abspath(var_dir), "demo.sqlite3"
        )
        os.environ.setdefault("MEDIA_ROOT", os.path.join(os.path.abspath(var_dir), "demo-private"))
        os.environ["DEBUG"] = "1"
        # Explorable with the demo password alone; /compte/double-facteur/demo/ shows the two
        # accounts that still use a second factor.
        os.environ["MFA_REQUIRED_FOR_STAFF"] = "0"
        os.environ["PEPINIERE_DEMO"] = "1"
        # Links in the demo's e-mails point at the port the demo is served on.
        os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{_port(sys.argv[2:])}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
