"""Headless Chromium, driven over the DevTools protocol, to look at report.html as a reader would.

It records console errors, uncaught exceptions, failed loads and every request that would
leave the page, and takes a screenshot. No request leaves the machine: every host name
resolves to nothing.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

from tests.validators import executable

_LOCAL = ("file:", "data:", "about:", "chrome:", "devtools:")


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_loads: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


def open_page(
    page: Path, screenshot: Path, expressions: dict[str, str], width: int = 1280, height: int = 900
) -> PageReport:
    """Load `page`, evaluate each JavaScript expression after load, save a PNG screenshot."""
    chromium = executable("chromium")
    profile = Path(tempfile.mkdtemp(prefix="portstorm-chromium-"))
    process = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        socket = websocket.create_connection(_debugger_url(process), timeout=30, suppress_origin=True)
        try:
            return _inspect(_Session(socket), page, screenshot, expressions, width, height)
        finally:
            socket.close()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def _debugger_url(process: subprocess.Popen[str]) -> str:
    """Chromium says on stderr which port it chose (we asked for any free one)."""
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("DevTools listening on "):
            # keep reading what it says afterwards, so a full pipe never blocks it
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return line.removeprefix("DevTools listening on ").strip()
    raise RuntimeError(f"chromium exited with {process.wait()} before it listened")


class _Session:
    """Commands and events on one page (flat session mode)."""

    def __init__(self, socket: websocket.WebSocket) -> None:
        self.socket = socket
        self.last_id = 0
        self.events: list[dict[str, Any]] = []
        self.session_id: str | None = None

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params}
        if self.session_id:
            message["sessionId"] = self.session_id
        self.socket.send(json.dumps(message))
        while True:
            answer = json.loads(self.socket.recv())
            if answer.get("id") == self.last_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))
            if "method" in answer:
                self.events.append(answer)

    def wait_for(self, method: str) -> None:
        while not any(event["method"] == method for event in self.events):
            answer = json.loads(self.socket.recv())
            if "method" in answer:
                self.events.append(answer)


def _inspect(
    session: _Session, page: Path, screenshot: Path, expressions: dict[str, str], width: int, height: int
) -> PageReport:
    target = session.call("Target.createTarget", url="about:blank")["targetId"]
    session.session_id = session.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        session.call(f"{domain}.enable")
    session.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
    session.call("Page.navigate", url=page.resolve().as_uri())
    session.wait_for("Page.loadEventFired")
    report = PageReport()
    for name, expression in expressions.items():
        result = session.call("Runtime.evaluate", expression=expression, returnByValue=True)
        report.values[name] = result["result"].get("value")
    shot = session.call("Page.captureScreenshot", format="png")
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    for event in session.events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert", "warning"):
            report.console_errors.append(
                " ".join(str(arg.get("value", arg.get("description"))) for arg in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            report.exceptions.append(str(params["exceptionDetails"].get("text")))
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            report.console_errors.append(params["entry"]["text"])
        elif method == "Network.requestWillBeSent" and not params["request"]["url"].startswith(_LOCAL):
            report.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            report.failed_loads.append(params["errorText"])
    return report
