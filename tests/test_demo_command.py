"""`quorum demo` end to end, as a newcomer runs it: it serves, and Ctrl-C stops everything."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_serves_the_french_overview_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    quorum = str(Path(sys.executable).parent / "quorum")  # the console script, as installed
    command = [quorum, "demo", "--port", str(port)]
    command += ["--data-dir", str(tmp_path / "demo")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = _wait_for_banner(process)
        login, password = banner.split("Sign in to Quorum: ")[1].split("\n")[0].split(" / ")
        with requests.Session() as browser:
            page = browser.get(f"http://127.0.0.1:{port}/login", timeout=10)
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert found is not None
            token = found.group(1)
            browser.post(
                f"http://127.0.0.1:{port}/login",
                data={"csrf_token": token, "login": login, "password": password.strip()},
                timeout=10,
            )
            overview = browser.get(f"http://127.0.0.1:{port}/", timeout=10).text
        assert "Prochaines réunions" in overview and "Conseil d&#39;administration" in overview
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "Demo stopped." in output
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "nothing listens any more"


def _wait_for_banner(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
        if "Press Ctrl-C to stop." in line:
            return seen
    raise AssertionError(f"quorum demo did not start:\n{seen}")
