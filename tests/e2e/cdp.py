"""A small Chrome DevTools Protocol client over --remote-debugging-pipe,
standard library only: load a page in headless Chromium, collect what
its console reports, and take screenshots of parts of it.

Also runnable: python cdp.py REPORT.html OUT.png [ELEMENT_ID] writes a
screenshot of that element (default: the first leak's section)."""
import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions",
         "--hide-scrollbars", "--mute-audio"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with a page attached; a context manager."""

    def __init__(self, width=1200, height=900, timeout=60):
        exe = find_chromium()
        if exe is None:
            raise RuntimeError("no chromium on PATH")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="plk-chromium-")
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def fds():
            # Chromium reads commands from fd 3 and writes to fd 4. The
            # pipes may already sit on 3 or 4: copy them out of the way
            # first, so each dup2 makes a fresh inheritable descriptor.
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [exe] + FLAGS + ["--user-data-dir=" + self.profile,
                             "--remote-debugging-pipe",
                             "--window-size=%d,%d" % (width, height),
                             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, preexec_fn=fds, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events = []
        self.session = None
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget",
                                 targetId=page["targetId"],
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width,
                  height=height, deviceScaleFactor=1, mobile=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            os.close(self._w)
        except OSError:
            pass
        try:
            self.proc.terminate()
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._r)
        if self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, **params):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if self.session is not None and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            got = self._read_message(deadline)
            if got.get("id") == self._id:
                if "error" in got:
                    raise RuntimeError("%s: %s" % (method, got["error"]))
                return got.get("result", {})
            if "method" in got:
                self.events.append(got)

    def wait_event(self, method):
        deadline = time.monotonic() + self.timeout
        for ev in self.events:
            if ev["method"] == method:
                return ev
        while True:
            got = self._read_message(deadline)
            if "method" in got:
                self.events.append(got)
                if got["method"] == method:
                    return got

    def load(self, url):
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        # Let late console messages (a CSP report) arrive.
        self.evaluate("new Promise(r => setTimeout(r, 200))", wait=True)

    def evaluate(self, expr, wait=False):
        res = self.call("Runtime.evaluate", expression=expr,
                        returnByValue=True, awaitPromise=wait)
        if "exceptionDetails" in res:
            raise RuntimeError("%s: %s" % (expr, res["exceptionDetails"]))
        return res["result"].get("value")

    def problems(self):
        """Console errors and warnings, uncaught exceptions, and log
        entries of level error or warning, as text."""
        out = []
        for ev in self.events:
            p = ev.get("params", {})
            if ev["method"] == "Runtime.exceptionThrown":
                out.append("exception: %s" % p["exceptionDetails"])
            elif ev["method"] == "Runtime.consoleAPICalled" and \
                    p.get("type") in ("error", "warning", "assert"):
                out.append("console.%s: %s" % (p["type"], p.get("args")))
            elif ev["method"] == "Log.entryAdded" and \
                    p["entry"]["level"] in ("error", "warning"):
                out.append("log %s: %s" % (p["entry"]["level"],
                                           p["entry"]["text"]))
        return out

    def requests(self):
        return [ev["params"]["request"]["url"] for ev in self.events
                if ev["method"] == "Network.requestWillBeSent"]

    def screenshot(self, element_id):
        """PNG bytes of the element's box (the page scrolled as needed)."""
        rect = self.evaluate(
            "(function(){var e=document.getElementById(%s);"
            "e.scrollIntoView();var r=e.getBoundingClientRect();"
            "return {x:r.left+window.scrollX,y:r.top+window.scrollY,"
            "w:r.width,h:r.height};})()" % json.dumps(element_id))
        shot = self.call("Page.captureScreenshot", format="png",
                         captureBeyondViewport=True,
                         clip={"x": rect["x"], "y": rect["y"],
                               "width": rect["w"], "height": rect["h"],
                               "scale": 1})
        return base64.b64decode(shot["data"])


def decode_png(data):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA
    PNG, non-interlaced: what Chromium writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = \
                struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, (depth, interlace)
            channels = {2: 3, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (
                    b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append([tuple(line[x * channels:x * channels + 3])
                     for x in range(width)])
        prev = line
    return width, height, rows


def main(argv):
    report, out = os.path.abspath(argv[1]), argv[2]
    with Browser() as b:
        b.load("file://" + report)
        element = argv[3] if len(argv) > 3 else b.evaluate(
            "document.querySelector('article.leak').id")
        png = b.screenshot(element)
        for p in b.problems():
            print("problem:", p, file=sys.stderr)
    with open(out, "wb") as f:
        f.write(png)
    print("%s: %d bytes of %s" % (out, len(png), element))


if __name__ == "__main__":
    main(sys.argv)
