"""The `pepiniere` console command: Django's manage.py for the project."""

import os
import sys


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
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
