# Two commands on a fresh clone: `make demo` and `make test`. Needs only Python >= 3.12 and make:
# uv is bootstrapped into .tools/ and installs everything else from uv.lock into .venv/.
PYTHON ?= $(shell for p in python3.12 python3.13 python3.14 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)
UV := .tools/bin/uv
export UV_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)' 2>/dev/null)
export UV_PYTHON_DOWNLOADS := never
PORT ?= 8000

.PHONY: demo serve test install lint bench clean pango

# WeasyPrint (decision letters) needs Debian's pango; install it when root, else say how.
pango:
	@{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q libpangoft2-1.0 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else \
	    echo "WARNING: PDF letters need pango: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0"; \
	  fi; }

$(UV):
	@test -n "$(PYTHON)" || { echo "Python >= 3.12 is required (python3.12 or newer on PATH)."; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

.venv/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen
	touch $@

install: .venv/.installed pango

demo: install
	.venv/bin/pepiniere demo --port $(PORT)

# Serve the demo database built by `make demo` again, without rebuilding it.
serve: install
	.venv/bin/pepiniere demo --serve-only --port $(PORT)

test: install
	.venv/bin/python -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy pepiniere bench
	.venv/bin/pepiniere makemigrations --check --dry-run

bench: install
	.venv/bin/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf .venv .tools var staticfiles
