# noisecurv: common tasks. `make help` lists them.
GO        ?= go
PRESET    ?= fast
# The fast linear-algebra build needs Debian's libopenblas-dev and liblapacke-dev
# (scripts/install-lab.sh installs them). `make BLAS=` uses pure Go everywhere.
BLAS      ?= openblas
TAGS      := $(if $(BLAS),-tags $(BLAS),)
FUZZTIME  ?= 10s

.PHONY: help deps test test-go test-blas fuzz bench reproduce lab notebooks clean

help:
	@echo "make deps        install what the lab and tests need (Debian/Ubuntu; idempotent)"
	@echo "make test        vet + tests (pure Go and OpenBLAS builds) + a short fuzz run"
	@echo "make reproduce   every claim on the fast preset, HTML report under results/ (PAPER=1 for the paper's settings)"
	@echo "make lab         start Jupyter with the GoNB kernel on 127.0.0.1 in notebooks/"
	@echo "make notebooks   execute every notebook headless and check that every chart drew"
	@echo "make bench       go test -bench for the hot paths (set OPENBLAS_CORETYPE yourself if you want it)"

deps:
	bash scripts/install-lab.sh

test: test-go test-blas fuzz

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-blas:
	$(GO) test -count=1 -tags openblas ./lib/linalg ./lib/curv

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzIDX$$' -fuzztime=$(FUZZTIME) ./lib/data
	$(GO) test -run='^$$' -fuzz='^FuzzCIFAR$$' -fuzztime=$(FUZZTIME) ./lib/data

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
