"""Start and stop a throwaway Label Studio server on loopback for the live tests.

Label Studio is found through ``LABEL_STUDIO_BIN`` (path of the ``label-studio``
executable) or on ``PATH``.  It is best installed in its own virtual
environment (``requirements-label-studio.txt``): its pins (numpy, pyarrow)
clash with this project's.  The SDK is used from the same environment
(``python`` next to the executable).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ADMIN_EMAIL = "lead@example.org"
ADMIN_TOKEN = "5d0c1b3a9e8f7d6c5b4a39281706f5e4d3c2b1a0"  # a throwaway token for a loopback test server


def label_studio_bin() -> Path | None:
    found = os.environ.get("LABEL_STUDIO_BIN") or shutil.which("label-studio")
    return Path(found) if found and Path(found).exists() else None


def sdk_python(binary: Path) -> Path | None:
    """The interpreter of Label Studio's environment, if it has the SDK installed."""
    python = binary.parent / "python"
    if not python.exists():
        return None
    probe = subprocess.run([str(python), "-c", "import label_studio_sdk"], capture_output=True, timeout=120)
    return python if probe.returncode == 0 else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own process group only
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


def start(binary: Path, data_dir: Path, startup_timeout: float = 300.0) -> Server:
    """Start ``label-studio`` on 127.0.0.1 with a fresh data folder; wait until /health answers."""
    import requests

    port = _free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "server.log"
    env = {**os.environ, "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true", "HOME": str(data_dir)}
    cmd = [str(binary), "start", "--no-browser", "--internal-host", "127.0.0.1", "-p", str(port),
           "--data-dir", str(data_dir / "data"), "--username", ADMIN_EMAIL, "--password", "not-a-real-password",
           "--user-token", ADMIN_TOKEN, "--enable-legacy-api-token"]
    with open(log, "w") as handle:
        process = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    server = Server(url, ADMIN_TOKEN, process, log)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"label-studio exited with {process.returncode}; see {log}:\n"
                               + log.read_text()[-2000:])
        try:
            if requests.get(f"{url}/health", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(2)
    server.stop()
    raise RuntimeError(f"label-studio did not answer within {startup_timeout:.0f} s; see {log}")
