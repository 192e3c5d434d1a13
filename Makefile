# The two commands: `make run` serves the portal, `make test` tests it. `make help` lists the rest.
.DEFAULT_GOAL := help
FLASK := .venv/bin/flask --app wsgi

.PHONY: help run test lint bench venv assets env db-upgrade seed

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

run: venv assets env ## install, migrate the embedded database, load demo data, serve on 127.0.0.1:5000
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(FLASK) audit keygen --if-missing
	$(FLASK) audit checkpoint
	$(FLASK) run --host 127.0.0.1 --port 5000

test: ## install what the tests need and run lint plus the whole suite (SQLite and PostgreSQL)
	bash scripts/test.sh

bench: venv ## benchmark: audited views, log search, verify vs a bare hello (own servers; ~10 min)
	.venv/bin/python bench/run.py

lint: ## ruff, mypy and import-linter only
	bash scripts/venv.sh dev
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports

venv:
	bash scripts/venv.sh

assets:
	bash scripts/assets.sh

env:
	bash scripts/dev-env.sh

db-upgrade: venv env ## migrate the database named by DATABASE_URL (default: the embedded file)
	$(FLASK) db upgrade

seed: venv env ## load the demo data (development only)
	$(FLASK) demo seed
