# Set-up and entry points. `make demo` runs the main job on its small default; `make test` runs the tests.
# Every target first installs the Debian packages the build needs, when they are missing.

DEB_PACKAGES := libopenblas-dev libgit2-dev libsqlite3-dev pkg-config git
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
TORCH_PY ?= $(HOME)/torchvenv/bin/python

.PHONY: deps build test run task-scaling-full demo bench bench-torch golden check-torch clean

## deps: install the system libraries (OpenBLAS, libgit2, SQLite) if any is missing
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v python3 >/dev/null 2>&1 || missing="$$missing python3"; \
	if [ -n "$$missing" ]; then \
		echo "make: installing$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## build: debug build (numeric targets are compiled optimized in every configuration)
build: deps
	swift build

## test: the whole test suite (a few minutes at most), then check that every committed report regenerates byte for byte
test: deps
	swift build
	swift test
	swift run lab tables --check

## run: the flagship experiment on its small default (quick grid, about a minute after the build)
run: deps
	swift run exp-task-scaling

## task-scaling-full: the grid the committed report comes from (24 minutes on 2 cores of an AMD EPYC; resumable), then the report
task-scaling-full: deps
	swift run exp-task-scaling --full
	swift run lab tables task-scaling

## demo: the main job on its small default: BPE on real Python sources, train a small GPT, evaluate, sample
demo: deps
	swift run lab demo

## bench: `lab bench` on the four reference configurations (release build)
bench: deps
	swift build -c release --product lab
	.build/release/lab bench

## bench-torch: the PyTorch reference (../shared/bench/torch_gpt.py) on the same configurations
bench-torch:
	@for c in "512 64 2 2 128 32" "512 128 4 4 128 32" "512 256 6 8 256 16" "4096 384 6 6 256 16"; do \
		set -- $$c; $(TORCH_PY) ../shared/bench/torch_gpt.py --vocab $$1 --d_model $$2 --n_layer $$3 --n_head $$4 \
			--ctx $$5 --batch $$6 --steps 30 --warmup 5 --reps 3 --threads 2 --attn sdpa; done

## golden: regenerate the PyTorch fixtures of the tests (needs torch and safetensors)
golden:
	$(TORCH_PY) scripts/make_golden.py

## check-torch: cross-check checkpoints and `lab loss` against the PyTorch reference, both directions
check-torch: build
	$(TORCH_PY) scripts/check_torch.py --lab .build/debug/lab

clean:
	rm -rf .build
