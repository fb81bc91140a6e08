"""Browser tests: the built PWA served by the real app, driven in Debian's Chromium by Playwright.

The server runs in a thread on 127.0.0.1 and the browser goes to http://localhost (WebAuthn accepts
localhost as a relying party, not 127.0.0.1). Under CI=true a missing Chromium or an unbuilt PWA
is a failure, not a skip.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from server import demo
from server.extensions import db
from tests.conftest import _unavailable

CHROMIUM = os.environ.get("HUIFANG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"
# Keep Chromium off the network it cannot reach and away from a sandbox it cannot have as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PHONE = {"width": 360, "height": 740}
TABLET = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        _unavailable(f"Chromium not found at {CHROMIUM}; `make browser` installs Debian's package")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(app):
    dist = Path(app.config["HUIFANG_PWA_DIST"])
    if not (dist / "app" / "index.html").exists():
        _unavailable(f"the PWA is not built in {dist}; `make install` builds it")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()


@pytest.fixture
def demo_data(app):
    with app.app_context():
        demo.load()
        db.session.remove()


@pytest.fixture
def base(live_server, demo_data):
    return live_server


@pytest.fixture
def shot():
    """Save a screenshot under test-results/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take
