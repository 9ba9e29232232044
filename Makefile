# noisecurv: common tasks. `make help` lists them.
GO        ?= go
PRESET    ?= fast
# The fast linear-algebra build needs Debian's libopenblas-dev and liblapacke-dev
# (scripts/install-lab.sh installs them). `make BLAS=` uses pure Go everywhere.
BLAS      ?= openblas
TAGS      := $(if $(BLAS),-tags $(BLAS),)
# Fuzzing: each target runs FUZZTIME (30000 executions: the seed corpora and some
# mutations); `make fuzz-long` runs each for 5 minutes. Minimizing a new input is capped at
# FUZZMIN: the default (60s) let a short FuzzCIFAR run spend all its time minimizing one
# 3073-byte record (0 execs/s, yet PASS).
FUZZTIME  ?= 30000x
FUZZMIN   ?= 5s
FUZZ_TARGETS := lib/data:FuzzIDX lib/data:FuzzCIFAR lib/nn:FuzzNPY lib/nn:FuzzNPZ lib/nn:FuzzModelFile

.PHONY: help deps test test-deps test-go test-blas fuzz fuzz-long bench reproduce lab notebooks clean

help:
	@echo "make deps        install what the lab and tests need (Debian/Ubuntu; idempotent)"
	@echo "make test        checks/installs what tests need, vet + tests (pure Go and OpenBLAS builds) + a short fuzz run"
	@echo "make test BLAS=  the same for the pure-Go build only (needs nothing but Go)"
	@echo "make fuzz        every fuzz target for FUZZTIME (30000 executions) each; make fuzz-long: 5 minutes each"
	@echo "make reproduce   every claim on the fast preset, HTML report under results/ (PAPER=1 for the paper's settings)"
	@echo "make lab         start Jupyter with the GoNB kernel on 127.0.0.1 in notebooks/"
	@echo "make notebooks   execute every notebook headless and check that every chart drew"
	@echo "make bench       go test -bench for the hot paths (set OPENBLAS_CORETYPE yourself if you want it)"

deps:
	bash scripts/install-lab.sh

# test-deps checks Go, OpenBLAS (when BLAS is set) and Chromium first, installs what is
# missing when run as root with apt-get, and otherwise stops with a one-line hint.
test: test-deps test-go $(if $(BLAS),test-blas,) fuzz

test-deps:
	@BLAS="$(BLAS)" bash scripts/test-deps.sh

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-blas:
	$(GO) test -count=1 -tags $(or $(BLAS),openblas) ./lib/linalg ./lib/curv ./lib/nn

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$${t#*:}\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMIN) ./$${t%%:*}; \
	done

fuzz-long:
	$(MAKE) fuzz FUZZTIME=5m

bench:
	$(GO) test $(TAGS) -run='^$$' -bench=. -benchtime=1x ./lib/...

reproduce:
	$(GO) run $(TAGS) ./cmd/noisecurv reproduce $(if $(PAPER),--paper,)

lab:
	bash scripts/lab.sh

notebooks:
	NOISECURV_PRESET=$(PRESET) GOFLAGS="$(if $(BLAS),-tags=$(BLAS),)" bash .ci/notebooks.sh

clean:
	rm -rf results bin
