"""The quorum command line against the real demo server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sidecar.cli import cli
from sidecar.demo import DEMO_USERS, DemoServer

Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, database_url: str) -> Iterator[Invoke]:
    env = {
        "QUORUM_DATA_DIR": str(tmp_path / "data"),
        "QUORUM_DATABASE_URL": database_url,
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    runner = CliRunner()

    def invoke(*args: str, password: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=password, env=env, catch_exceptions=False)

    yield invoke


def _add(run: Invoke, url: str, password: str) -> Result:
    return run(
        "source",
        "add",
        "nc",
        "--url",
        url,
        "--login",
        "alice",
        "--password-stdin",
        password=password + "\n",
    )


def test_add_test_discover_sync(run: Invoke, demo_server: DemoServer) -> None:
    result = _add(run, demo_server.url, DEMO_USERS["alice"])
    assert result.exit_code == 0, result.output
    result = run("source", "test", "nc")
    assert result.exit_code == 0 and "4 calendars" in result.output, result.output
    result = run("source", "discover", "nc")
    assert "Conseil d'administration" in result.output and "/Subventions/" in result.output
    result = run("sync", "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert report["outcome"] == "ok" and report["added"] > 50
    result = run("source", "list")
    assert "nc\t" in result.output and "\tok" in result.output
    assert DEMO_USERS["alice"] not in result.output


def test_wrong_password_is_one_line_and_non_zero(run: Invoke, demo_server: DemoServer) -> None:
    result = _add(run, demo_server.url, "not-the-password")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "app password" in lines[0], result.output
    assert "not-the-password" not in result.output
    assert _add(run, demo_server.url, "again").exit_code == 1


def test_not_a_dav_server_is_one_line_and_non_zero(run: Invoke) -> None:
    class Html(BaseHTTPRequestHandler):
        def do_PROPFIND(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>Welcome to my blog</html>")

        do_GET = do_PROPFIND

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = _add(run, f"http://127.0.0.1:{server.server_port}", "secret")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert "does not answer as a WebDAV server" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_refused_connection_says_so(run: Invoke) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _add(run, f"http://127.0.0.1:{port}", "secret")
    assert result.exit_code == 1
    assert "refused" in result.output.lower(), result.output


def test_metadata_address_is_refused(run: Invoke) -> None:
    result = _add(run, "http://169.254.169.254/", "secret")
    assert result.exit_code == 1 and "169.254.169.254" in result.output


def test_config_export_import_roundtrip(run: Invoke, tmp_path: Path) -> None:
    from sidecar.cli.demo import demo_settings_toml

    settings = tmp_path / "asso.toml"
    settings.write_text(demo_settings_toml(), encoding="utf-8")
    result = run("config", "import", str(settings))
    assert result.exit_code == 0 and "7 members, 3 bodies" in result.output, result.output
    exported = run("config", "export").output
    assert 'code = "CA"' in exported and "bernard.lefevre@jardins-partages.example" in exported
    assert run("config", "import", str(settings)).exit_code == 0
    assert run("config", "export").output == exported
    broken = tmp_path / "broken.toml"
    broken.write_text('[[bodies]]\ncode = "CA"\nmembers = [{ email = "nobody@x.org" }]\n')
    result = run("config", "import", str(broken))
    assert result.exit_code == 1 and "nobody@x.org" in result.output
    assert run("config", "export").output == exported, "a failed import changes nothing"


def test_unknown_host_is_one_line_and_non_zero(run: Invoke) -> None:
    result = _add(run, "https://cloud.quorum-test.invalid", "secret")
    assert result.exit_code == 1
    assert "resolve" in result.output.lower() and "cloud.quorum-test.invalid" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_untrusted_certificate_is_one_line_and_non_zero(run: Invoke, tmp_path: Path) -> None:
    """A real TLS server on 127.0.0.1 with a self-signed certificate (as a misconfigured
    Nextcloud would have): Quorum refuses it and says the certificate is the problem."""
    import ssl

    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = _add(run, f"https://127.0.0.1:{server.server_port}", "secret")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert "certificate" in result.output.lower(), result.output
    assert len(result.output.strip().splitlines()) == 1


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nextcloud.example")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
