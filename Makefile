# Two commands on a fresh machine with python3 and make: `make run` and `make test`.
# Each creates (or reuses) the virtual environment in .venv with everything it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock

.PHONY: run check check-config demo chats test lint bench bench-smoke messages lock clean

# Every install takes the exact versions CI tested, each file checked against its hash in
# the lock file; the project itself goes on top without resolving anything again.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

## lock: pin every dependency (and its hashes) again after a change to pyproject.toml
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --quiet -o $(LOCK)

## run: run the bridge in the foreground (needs .env, see .env.example)
run: check-config $(STAMP)
	$(BIN)/sms-bridge run

## check: say whether the settings, Telegram and SMSC work, without running the bridge
check: check-config $(STAMP)
	$(BIN)/sms-bridge check

## demo: the real bridge on a simulated SMSC (needs only TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_IDS)
demo: $(STAMP)
	$(BIN)/sms-bridge demo

## chats: print the chats the bot is in and who writes to it (needs only TELEGRAM_BOT_TOKEN)
chats: $(STAMP)
	$(BIN)/sms-bridge chats

# Before anything is installed: without a .env (or settings in the environment) say what
# to do, in one line, and stop.
# A .env others may read gives away the bot token and the SMSC password: say so (the
# bridge still starts; `sms-bridge check` says the same).
check-config:
	$(if $(wildcard .env)$(TELEGRAM_BOT_TOKEN),,$(error no .env found: copy .env.example to .env, chmod 600 .env, and set TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_IDS and the SMSC credentials))
	@case "$$(ls -ld .env 2>/dev/null)" in ""|-???------*) ;; *) echo "warning: .env is readable by others, and it holds the bot token and passwords: run chmod 600 .env" >&2 ;; esac

# Most tests wait on servers and timers rather than compute: eight workers overlap those
# waits even on two cores (each test has its own ports, files and processes).
TEST_WORKERS ?= 8

## test: the whole test suite, in parallel (TEST_WORKERS=0 runs it in one process)
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

## lint: ruff (bot, state, tests, benchmarks), mypy --strict (bot, state, benchmarks), vulture (dead code)
lint: $(STAMP)
	$(BIN)/ruff check bot state tests benchmarks
	$(BIN)/ruff format --check bot state tests benchmarks
	$(BIN)/mypy
	$(BIN)/vulture

## bench: every benchmark at full size (about 30 minutes); table + benchmarks/results/full.json
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

## bench-smoke: every benchmark at a small size (CI runs this)
bench-smoke: $(STAMP)
	$(BIN)/python -m benchmarks.run --smoke

## messages: extract the bot's texts and merge them into the Russian catalogue to translate
messages: $(STAMP)
	$(BIN)/pybabel -q extract --no-location --sort-output -w 100 -k N_ -k ngettext:1,2 \
		-o bot/locale/messages.pot bot
	$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -w 100 -i bot/locale/messages.pot \
		-d bot/locale -D messages
	@rm bot/locale/messages.pot

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
