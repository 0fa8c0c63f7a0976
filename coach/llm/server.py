"""Start a local OpenAI-compatible server (llama-cpp-python's ``llama_cpp.server``) as a child process.

Used by the benchmark and the HTTP-backend tests, so the HTTP path is exercised against a real server.
Simplified on purpose: loopback only, one model, a free port chosen by the OS, and the process is always
terminated on exit (then killed if it does not stop within a few seconds).
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from coach.errors import CoachError
from coach.llm.base import DEFAULT_SEED
from coach.llm.llamacpp import default_threads, import_llama_cpp

logger = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class LocalLlamaServer:
    """``with LocalLlamaServer(gguf) as srv: srv.base_url`` -> ``http://127.0.0.1:PORT/v1``."""

    def __init__(self, model_path: str | Path, *, port: int | None = None, context_tokens: int = 2048,
                 n_threads: int | None = None, ready_timeout_s: float = 90.0):
        import_llama_cpp()  # fail early with the install hint
        self.model_path = Path(model_path)
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        self.context_tokens = context_tokens
        self.n_threads = n_threads or default_threads()
        self.ready_timeout_s = ready_timeout_s
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> LocalLlamaServer:
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--host", self.host, "--port", str(self.port),
            "--n_ctx", str(self.context_tokens),
            "--n_threads", str(self.n_threads), "--n_threads_batch", str(self.n_threads),
            "--seed", str(DEFAULT_SEED),
            "--verbose", "False",
        ]  # fmt: skip
        logger.info("starting %s", " ".join(cmd))
        # stderr goes to a temporary file, not a pipe: uvicorn logs every request and a full pipe would
        # block the server.
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._log)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode("utf-8", "replace")[-500:]
                raise CoachError(f"llama_cpp.server exited with code {self.process.returncode}: {err.strip()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise CoachError(f"llama_cpp.server did not become ready within {self.ready_timeout_s:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        self.process = None

    def __enter__(self) -> LocalLlamaServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
