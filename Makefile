# Swarmdeck: `make run` runs the panel, `make test` runs every test. Both install what they need.
.PHONY: run test lint image requirements messages sandbox-down clean bench

run:
	bin/bootstrap run
	.venv/bin/python bin/run

test:
	bin/test

# Speed at scale against the real stack (bench/README.md): a table, and bench/results/<time>.json.
# SIZE=smoke runs every measurement at a tiny size; BENCH_ARGS passes more (e.g. --sizes 10,100).
bench:
	bin/bootstrap test  # the sandbox's dockerd, chromium and Playwright, as the slow tests need
	.venv/bin/python -m bench $(if $(filter smoke,$(SIZE)),--smoke) $(BENCH_ARGS)

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# The panel's image swarmdeck:<version> and :latest, built offline (a Debian base by mmdebstrap, the
# wheels by the host's pip) against DOCKER_HOST, else /var/run/docker.sock, else the sandbox.
image:
	bin/bootstrap run
	bin/image

# requirements.txt and requirements-dev.txt, pinned with hashes, from the direct dependencies in
# requirements.in and requirements-dev.in. Keeps every pin it can: `make requirements UPGRADE=name`
# moves one package (UPGRADE=--all: all). uv resolves for every Python >= 3.11 and platform at once.
UV_VERSION = 0.13.8
UV = var/tools/bin/uv
COMPILE = $(UV) pip compile -q --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make requirements" \
	$(if $(filter --all,$(UPGRADE)),--upgrade,$(if $(UPGRADE),--upgrade-package $(UPGRADE)))
requirements:
	[ -x $(UV) ] || { python3 -m venv var/tools && var/tools/bin/pip install -q uv==$(UV_VERSION); }
	$(COMPILE) -o requirements.txt requirements.in
	$(COMPILE) -o requirements-dev.txt requirements-dev.in

# The es and zh_Hans catalogues again after a message changed in the code or a template: new
# messages come in untranslated (or fuzzy: a guess to redo), gone ones leave. Translate, then make test.
MESSAGES_IGNORE = $(foreach dir,.venv var tests test-artifacts static/vendor staticfiles bench,--ignore='$(dir)/*')
messages:
	for domain in django djangojs; do \
	  DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python manage.py makemessages -l es -l zh_Hans \
	    -d $$domain $(MESSAGES_IGNORE) --no-location --no-obsolete || exit 1; \
	done

# Stop and remove the sandbox swarm that `make run` starts when no engine answers.
sandbox-down:
	bin/sandbox down sandbox

clean: sandbox-down
	bin/sandbox down test
	rm -rf var
