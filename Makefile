# clearance — developer entry points. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := out/demo
EXAMPLE := examples/neon-harbor/manifest.yaml
CUT    := ../deliverables/cut/neon_harbor_107_lock.edl
REG    := CLEARANCE_ACTOR="demo (GenAI lead)" $(CURDIR)/$(BIN)/clearance

.PHONY: install system-deps demo test lint typecheck pytest bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,cluster,video]'
	touch $(STAMP)

demo: install
	@rm -rf $(DEMO) && mkdir -p $(DEMO)/register
	$(BIN)/clearance policy test netflix-genai --fail-only
	$(BIN)/clearance check $(EXAMPLE) --fail-on never
	$(BIN)/clearance check $(EXAMPLE) --format json --fail-on never > $(DEMO)/decisions.json
	$(BIN)/clearance check $(EXAMPLE) --format markdown --fail-on never > $(DEMO)/decisions.md
	$(BIN)/clearance explain $(EXAMPLE) UC-014 > $(DEMO)/explain-UC-014.txt
	@echo "--- the register: import, record evidence, status, audit ---"
	cd $(DEMO)/register && $(REG) init . && $(REG) import $(CURDIR)/$(EXAMPLE)
	cd $(DEMO)/register && $(REG) report-use UC-001 UC-003 UC-011 --contact "J. Park (studio)" --reference MAIL-118
	cd $(DEMO)/register && printf 'Approved with conditions.\n' > approval-UC-011.txt && \
	  $(REG) approve UC-011 --approver "Studio production legal" --condition "final VFX review" \
	    --expires 2027-06-30 --attach approval-UC-011.txt
	cd $(DEMO)/register && $(REG) consent add ava-reyes UC-011 --replica likeness --use "flashback de-ageing" --guild-notified
	cd $(DEMO)/register && $(REG) clear legal-review UC-011 --by "Harbor Legal LLP" --reference HL-2291
	cd $(DEMO)/register && $(REG) status --format json > ../status.json || true
	cd $(DEMO)/register && $(REG) check $(CURDIR)/$(EXAMPLE) --fail-on never | grep "use cases:"
	@echo "--- the deliverables: register outputs, scan, reconcile ---"
	$(BIN)/python examples/neon-harbor/make_media.py $(DEMO)/deliverables
	cd $(DEMO)/register && $(REG) asset add UC-008 ../deliverables/vfx/lantern_street_signage_v3.png
	cd $(DEMO)/register && $(REG) asset add UC-006 ../deliverables/vfx/ferry_chase_previs_0042.png
	cd $(DEMO)/register && $(REG) asset add UC-011 ../deliverables/vfx/NH107_flashback_deage_sh042_v5.jpg
	cd $(DEMO)/register && $(REG) scan ../deliverables --jobs 1 --trust-anchors ../demo-root-ca.pem || true
	cd $(DEMO)/register && $(REG) scan ../deliverables --jobs 1 --format json --no-record > ../scan.json || true
	@echo "--- the locked cut: registered to the production, GenAI cue sheet and delivery report ---"
	cd $(DEMO)/register && $(REG) cut add ep107-lock $(CUT) --rate 23.976 --media ../deliverables
	cd $(DEMO)/register && $(REG) cuesheet --cut ep107-lock --jobs 1 || true
	cd $(DEMO)/register && $(REG) cuesheet --cut ep107-lock --jobs 1 -o ../cuesheet.xlsx --fail-on never
	cd $(DEMO)/register && $(REG) cuesheet $(CUT) --rate 23.976 --media ../deliverables --jobs 1 -o ../cuesheet.json --fail-on never
	cd $(DEMO)/register && $(REG) report -o .. --cut ep107-lock --jobs 1 \
	  $$(command -v chromium >/dev/null && echo --pdf)
	@echo "--- the web app: an account, a token, one request (clearance serve --get) ---"
	cd $(DEMO)/register && printf 'demo-password-123\n' | $(REG) user add studio-reviewer --name "Studio reviewer" --password-stdin
	cd $(DEMO)/register && $(REG) user grant studio-reviewer neon-harbor-s1 reviewer
	cd $(DEMO)/register && $(REG) serve --get /api/v1/productions --token "$$($(REG) user token studio-reviewer --name demo | tail -1)" > ../web-productions.json
	cd $(DEMO)/register && $(REG) serve --get /api/v1/productions/neon-harbor-s1/cuts/ep107-lock/cuesheet --token "$$($(REG) user token studio-reviewer --name demo-cut | tail -1)" > ../web-cuesheet.json
	cd $(DEMO)/register && $(REG) manifest export -o ../manifest-from-register.yaml
	cd $(DEMO)/register && $(REG) audit verify && $(REG) export -o ../register-export.zip
	@echo
	@echo "Demo output is in $(DEMO)/:"
	@ls -1 $(DEMO) | sed 's/^/  /'
	@echo "Open the delivery report: $(DEMO)/neon-harbor-s1-genai-report.html"
	@echo "The GenAI cue sheet:      $(DEMO)/cuesheet.xlsx (and cuesheet.json)"
	@echo "The web app:              cd $(DEMO)/register && ../../../$(BIN)/clearance serve  (sign in as studio-reviewer / demo-password-123)"

lint: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: install
	$(BIN)/mypy

# Debian's PostgreSQL server and Chromium (the register and browser tests); a no-op when present.
system-deps:
	bash .ci/install-system-deps

pytest: install system-deps
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_register.py
	$(BIN)/python bench/bench_scan.py
	$(BIN)/python bench/bench_cuesheet.py
	command -v wrk >/dev/null && $(BIN)/python bench/load_web.py || echo "load_web.py skipped: apt-get install -y wrk"

clean:
	rm -rf $(VENV) out .mypy_cache .ruff_cache .pytest_cache
