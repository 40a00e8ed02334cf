# Herald: the two set-up commands are `make run` and `make test`.
SWIFT ?= swift
# A clearly marked development secret; `herald serve` accepts it only with --dev.
DEV_SECRET := whsec_ZGV2ZWxvcG1lbnQtb25seS1kby1ub3QtdXNl

.PHONY: run test build release deps deps-test bench clean

## Build and start the gateway on its embedded defaults (var/herald.db, 127.0.0.1:8787).
run: deps
	$(SWIFT) build -c release --product herald
	HERALD_WEBHOOK_SECRET="$${HERALD_WEBHOOK_SECRET:-$(DEV_SECRET)}" .build/release/herald serve --dev

## Build everything and run every test.
test: deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product herald

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

## Benchmarks live in their own package; see Benchmarks/README.md.
bench:
	$(MAKE) -C Benchmarks run

clean:
	rm -rf .build
