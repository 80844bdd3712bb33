# Two commands on a fresh machine: `make run` and `make test`. Both are safe to run again.
# Production on one machine: `make serve` (gunicorn, settings from .env.production; docs/operations.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
# make serve reads its settings, HOST included, from this file, never from the development .env.
ENV_FILE ?= .env.production
# WeasyPrint needs Pango and HarfBuzz's subsetter; Liberation Serif is metric-compatible with Times New Roman
# and covers Vietnamese. Playwright drives Debian's Chromium (never a downloaded browser).
SYSTEM_PACKAGES := fonts-liberation2 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# Only the tests need a browser: `make run` does not download it.
TEST_PACKAGES := chromium
PACKAGES ?= $(SYSTEM_PACKAGES)

.PHONY: run serve test setup sysdeps venv lint format seed clean

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_seed_data
	$(PY) manage.py create_demo_users
	$(PY) manage.py schedule_reminders
	@$(PY) -m config.serve addresses $(HOST)
	@echo "Hàng đợi công việc (nhắc việc, thư, tệp ZIP) chạy cùng máy chủ; Ctrl+C dừng cả hai."
	$(PY) -m config.serve with-worker $(PY) manage.py runserver $(HOST)

# Checks the production settings (DEBUG=0), runs collectstatic and migrate, schedules the daily reminders,
# prints the addresses to open, then runs gunicorn with `manage.py qcluster` (the job queue) beside it.
# HOST given to make (make serve HOST=0.0.0.0:8000) wins over the file's.
serve: sysdeps venv
	ENV_FILE=$(ENV_FILE) $(if $(filter command line environment,$(origin HOST)),HOST=$(HOST)) \
	  $(PY) -m config.serve

test: setup lint
	@$(MAKE) --no-print-directory sysdeps PACKAGES="$(SYSTEM_PACKAGES) $(TEST_PACKAGES)"
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -q

setup: sysdeps venv .env

sysdeps:
	@if ! command -v dpkg-query >/dev/null; then \
	  echo "Không kiểm tra được gói hệ thống (không phải Debian/Ubuntu). Cần: $(PACKAGES)"; exit 0; fi; \
	missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Cài gói hệ thống:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) \
	    || { echo "Không cài được. Chạy: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; }; \
	else \
	  echo "Thiếu gói hệ thống:$$missing"; \
	  echo "Chạy: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q ".[dev]"
	@touch $@

# A development .env (DEBUG on, a random key) on first run; an existing one is never overwritten.
.env:
	@printf 'DEBUG=1\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Đã tạo .env cho môi trường phát triển (DEBUG=1)."

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

seed: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_seed_data

clean:
	rm -rf $(VENV) var db.sqlite3 build *.egg-info
