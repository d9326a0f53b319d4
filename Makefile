# Swarmdeck: `make run` runs the panel, `make test` runs every test. Both install what they need.
.PHONY: run test lint image sandbox-down clean

run:
	bin/bootstrap run
	.venv/bin/python bin/run

test:
	bin/test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# The panel's image swarmdeck:<version> and :latest, built offline (a Debian base by mmdebstrap, the
# wheels by the host's pip) against DOCKER_HOST, else /var/run/docker.sock, else the sandbox.
image:
	bin/bootstrap run
	bin/image

# Stop and remove the sandbox swarm that `make run` starts when no engine answers.
sandbox-down:
	bin/sandbox down sandbox

clean: sandbox-down
	bin/sandbox down test
	rm -rf var
