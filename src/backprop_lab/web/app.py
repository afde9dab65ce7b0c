"""The playground's web app: the page, its static files, the option declarations, and one
WebSocket per page through which the page steers its own :class:`Session`.

Each connection runs one loop (:class:`Connection`): messages from the page are read by a
task of their own and queued; the loop acts on them in order, trains while playing, and sends
a frame after each update, but only once the page has drawn the previous one (its "ack"), at
most ``updates_per_second`` times a second. While the page draws a frame, the next update is
trained and built (``prepared``); any message but an ack waits for it to finish before it
touches the session. Training, the diagnosis and saving run in worker threads, so one page's
work never holds up another page or its own messages. Closing the page ends its loop and its
session.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .._version import __version__
from ..config import OPTION, ConfigError
from ..data import DataError
from ..run_folder import OutputError
from .findings import live_findings, page_words
from .frames import frame, state, trace
from .protocol import FIELDS, Message, MessageError, parse
from .saving import SaveError, save_session
from .session import CAPS, SETTINGS, Session, SessionError

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
DIAGNOSE_EVERY_S = 1.0
MAX_PAGES = 16  # pages served at once (each has its own session and training)
# One update's training stops after this long, whatever the speed asks, so that the page still
# gets its updates (up to 60 a second: the next update is made while the page draws).
UPDATE_BUDGET_S = 0.014


def options() -> dict:
    """The declarations of the settings the page offers: kind, choices, range, default, help."""
    out = {}
    for name in SETTINGS:
        o = OPTION[name]
        out[name] = {
            "kind": o.kind,
            # and/or have one sample of class 1: nothing a page could train on
            "choices": [c for c in o.choices if name != "dataset" or c not in ("and", "or")],
            "low": o.low,
            "high": o.high,
            "default": list(o.default) if isinstance(o.default, tuple) else o.default,
            "help": o.help,
            "why": o.why,
            "notes": dict(o.notes),
            "none_text": o.none_text,
        }
    return out


def _write_failure(error: OSError) -> str:
    import errno
    import os

    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full; nothing was kept"
    reason = os.strerror(error.errno).lower() if error.errno else str(error)
    return f"{reason} ({error.filename}); nothing was kept" if error.filename else reason


WAKE = ""  # queued after an ack read ahead of the queue, to wake the loop


def _type_of(text) -> str | None:
    """The "type" of a message, if it is a small JSON object with a known one."""
    if not isinstance(text, str) or len(text) > 200:
        return None
    try:
        kind = json.loads(text).get("type")
    except (ValueError, AttributeError, RecursionError):
        return None
    return kind if isinstance(kind, str) and kind in FIELDS else None


def _is_ack(text) -> bool:
    # Most messages are not acks: only those that could be are parsed here (again in parse).
    return isinstance(text, str) and '"ack"' in text and _type_of(text) == "ack"


def hello() -> dict:
    return {"type": "hello", "options": options(), "caps": CAPS.to_dict(), "version": __version__}


class Connection:
    """One page's loop: its session, what it asked for, and the flow control of frames."""

    def __init__(self, socket: WebSocket, runs_dir: Path):
        self.socket = socket
        self.session = Session(runs_dir)
        self.runs_dir = runs_dir
        self.inbox: asyncio.Queue = asyncio.Queue(maxsize=256)
        self.playing = False
        self.awaiting_ack = False
        self.dirty = True  # a frame is owed (something changed)
        self.last_frame = 0.0
        self.frame_number = 0
        self.findings: list[dict] | None = None
        self.last_diagnosis = 0.0
        self.diagnose_every = DIAGNOSE_EVERY_S
        self.diagnosis_due = False
        self.saving: asyncio.Task | None = None
        self.prepared: asyncio.Task | None = None  # the next update, made while the page draws
        self.closed = False
        self.sending = asyncio.Lock()  # the reader and the loop both answer the page

    async def send(self, message: dict) -> None:
        """Send ``message``; a page that has gone away ends the loop instead of raising."""
        if self.closed:
            return
        text = json.dumps(message, allow_nan=False)
        try:
            async with self.sending:
                await self.socket.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.closed = True

    async def error(self, text: str, about: str | None, ident: int | None = None) -> None:
        reply: dict[str, object] = {"type": "error", "message": page_words(text), "about": about}
        if ident is not None:
            reply["id"] = ident
        await self.send(reply)

    # ------------------------------------------------------------------ reading

    async def read(self) -> None:
        """Queue every message from the page; a full queue (a page flooding the server) drops
        the message and says so."""
        try:
            while True:
                event = await self.socket.receive()
                if event["type"] == "websocket.disconnect":
                    break
                text = event.get("text")
                if text is None:
                    text = event.get("bytes") or b""
                if _is_ack(text):  # never dropped: the page would wait for a frame forever
                    self.awaiting_ack = False
                    if not self.inbox.full():
                        await self.inbox.put(WAKE)  # the loop may be waiting for it
                    continue
                if self.inbox.full():
                    about = _type_of(text)
                    await self.error(
                        f"too many messages at once; this {about or 'one'} message was dropped",
                        about,
                    )
                    continue
                await self.inbox.put(text)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            await self.inbox.put(None)

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        reader = asyncio.create_task(self.read())
        try:
            await self.send(hello())
            await self.send(state(self.session))
            while True:
                text = await self._next_message()
                if self.closed:
                    break
                if text is not None:
                    await self.handle(text)
                    continue
                await self._tick()
        except WebSocketDisconnect:
            pass
        finally:
            self.closed = True
            reader.cancel()
            await self._settle()
            self.session.close()

    async def _next_message(self):
        """The next message, waiting only as long as nothing else is due."""
        if not self.inbox.empty():
            text = self.inbox.get_nowait()
            if text is None:
                self.closed = True
            return text
        if self._frame_due_in() == 0 or self._diagnosis_now():
            return None
        wait = self._frame_due_in()
        try:
            text = await asyncio.wait_for(self.inbox.get(), timeout=wait)
        except TimeoutError:
            return None
        if text is None:
            self.closed = True
        return text

    def _frame_due_in(self) -> float | None:
        """0 when a frame is owed and the page has drawn the last one; else None (wait for the
        page), or the time to the next diagnosis."""
        if self.awaiting_ack or not (self.playing or self.dirty):
            return None if not self.diagnosis_due else self.diagnose_every
        return 0.0

    def _diagnosis_now(self) -> bool:
        return self.diagnosis_due and (
            not self.playing or time.perf_counter() - self.last_diagnosis >= self.diagnose_every
        )

    async def _tick(self) -> None:
        try:
            await self._tick_once()
        except Exception as error:  # a bug: the page hears of it and training pauses
            logger.exception("playground: an update failed")
            self.playing, self.awaiting_ack, self.dirty = False, False, False
            await self.error(
                f"the server could not make the next update ({type(error).__name__}: "
                f"{error}); training is paused. This is a bug, please report it",
                None,
            )

    async def _tick_once(self) -> None:
        if self._diagnosis_now():
            await self._settle()
            await self._diagnose()
        if self._frame_due_in() == 0:
            frame = await self._take_prepared()
            if frame is None:
                frame = await asyncio.to_thread(self._update)
            await self._send_frame(frame)
            if self.playing:  # the next update trains while the page draws this one
                self.prepared = asyncio.create_task(asyncio.to_thread(self._update))

    def _update(self) -> dict:
        """Train one update's epochs if playing, and build the frame (in a worker thread)."""
        if self.playing:
            self._advance(self.session.epochs_per_update)
        return frame(self.session)

    async def _take_prepared(self) -> dict | None:
        """The frame trained and built while the page drew the last one, if there is one."""
        if self.prepared is None:
            return None
        task, self.prepared = self.prepared, None
        try:
            return await task
        except Exception:  # a bug: logged, and the frame is built again the plain way
            logger.exception("playground: an update failed")
            return None

    async def _settle(self) -> None:
        """Let the update being prepared finish before anything else touches the session; its
        frame is dropped and a new one is owed (what comes next may change it)."""
        if self.prepared is not None:
            await self._take_prepared()
            self.dirty = True

    def _advance(self, epochs: int) -> None:
        """Train ``epochs`` epochs, or as many as fit in the update's time budget, so that the
        page gets its updates at any speed."""
        self.session.advance(epochs, until=time.perf_counter() + UPDATE_BUDGET_S)
        if self.session.status in ("diverged", "finished"):
            self.playing = False
        self.diagnosis_due = True

    async def _send_frame(self, frame: dict) -> None:
        """Send ``frame`` no sooner than 1/updates_per_second after the last one."""
        gap = 1.0 / CAPS.updates_per_second - (time.perf_counter() - self.last_frame)
        if gap > 0:
            await asyncio.sleep(gap)
        self.frame_number += 1
        frame["frame"] = self.frame_number
        frame["status"] = "playing" if self.playing else self.session.status
        self.last_frame = time.perf_counter()
        await self.send(frame)
        self.awaiting_ack = True
        self.dirty = False

    async def _diagnose(self) -> None:
        """Diagnose the run so far; while playing, again after DIAGNOSE_EVERY_S, or five times
        as long as this diagnosis took (a long run's takes longer), so that it never takes
        more than a fifth of the time."""
        self.diagnosis_due = False
        started = time.perf_counter()
        findings = await asyncio.to_thread(live_findings, self.session)
        self.last_diagnosis = time.perf_counter()
        self.diagnose_every = max(DIAGNOSE_EVERY_S, 5 * (self.last_diagnosis - started))
        if findings != self.findings:
            self.findings = findings
            await self.send({"type": "findings", "findings": findings})

    # ------------------------------------------------------------------ acting on messages

    async def handle(self, text) -> None:
        if text is WAKE:
            return
        try:
            message = parse(text)
        except MessageError as error:
            await self.error(str(error), error.about, error.id)
            return
        except Exception as error:  # a bug in the checks: said to the page, never its end
            logger.exception("playground: checking a message failed")
            await self.error(f"the server could not read this message ({error})", None)
            return
        if message.type not in ("ack", "speed"):
            await self._settle()
        try:
            await self.act(message)
        except (MessageError, SessionError, SaveError, DataError) as error:
            await self.error(str(error), message.type, message.id)
        except ConfigError as error:
            await self.error(str(error), message.type, message.id)
        except Exception as error:  # a bug: said to the page and logged, never the end of it
            logger.exception("playground: %s failed", message.type)
            await self.error(
                f"the server could not do {message.type!r} ({type(error).__name__}: {error}); "
                "this is a bug, please report it",
                message.type,
                message.id,
            )

    async def act(self, m: Message) -> None:
        s, body = self.session, m.body
        if m.type == "ack":
            self.awaiting_ack = False
            return
        if m.type == "play":
            self.playing = s.status not in ("diverged", "finished")
            if s.status == "diverged":
                raise SessionError(
                    "the run diverged; reset it (or change a setting) to train again"
                )
            if s.status == "finished":
                raise SessionError(
                    f"the run reached the playground's limit of {s.caps.epochs:,} epochs; "
                    "reset it to train again"
                )
        elif m.type == "pause":
            self.playing = False
            self.diagnosis_due = True
        elif m.type == "step":
            self.playing = False
            await asyncio.to_thread(self._advance, 1)
        elif m.type == "speed":
            epochs = body["epochs"]
            if not 1 <= epochs <= s.max_epochs_per_update:
                raise SessionError(
                    f"the speed is 1 to {s.max_epochs_per_update} epochs per update for this "
                    "network and data"
                )
            s.epochs_per_update = epochs
            return
        elif m.type in ("configure", "reset", "regenerate", "clear_points", "add_point"):
            await self._restart(m)
            return
        elif m.type == "edit":
            await asyncio.to_thread(
                s.edit, body["layer"], body["kind"], body["row"], body["col"], body["value"]
            )
            self.diagnosis_due = True
            await self.send(state(s))
        elif m.type == "focus":
            layer, unit = body["layer"], body["unit"]
            if layer is not None and unit is not None:
                if not 0 <= layer < len(s.sizes):
                    raise SessionError(f"the layers are 0 (inputs) to {len(s.sizes) - 1}")
                if not 0 <= unit < s.sizes[layer]:
                    raise SessionError(f"layer {layer} has units 0 to {s.sizes[layer] - 1}")
            s.focus = None if layer is None or unit is None else (layer, unit)
        elif m.type == "hidden_view":
            await self._hidden_view(body)
        elif m.type == "trace":
            reply = await asyncio.to_thread(trace, s, body["sample"])
            if m.id is not None:
                reply["id"] = m.id
            await self.send(reply)
            return
        elif m.type == "save":
            await self._save(m)
            return
        self.dirty = True

    async def _restart(self, m: Message) -> None:
        s, body = self.session, m.body
        if m.type == "configure":
            changes = dict(body["settings"])
            points = changes.pop("points", None)
            await asyncio.to_thread(s.configure, changes, points)
        elif m.type == "reset":
            await asyncio.to_thread(s.reset)
        elif m.type == "regenerate":
            seed = (int(s.settings["data_seed"]) + 1) % (2**31)
            await asyncio.to_thread(s.configure, {"data_seed": seed})
        elif m.type == "clear_points":
            await asyncio.to_thread(s.clear_points)
        elif m.type == "add_point":
            await asyncio.to_thread(s.add_point, body["x"], body["label"])
        s.epochs_per_update = min(s.epochs_per_update, s.max_epochs_per_update)
        if s.hidden_view is not None and s.hidden_view[0] >= len(s.sizes) - 1:
            s.hidden_view = None
        s.focus = None
        self.findings = None
        self.diagnosis_due = False
        await self.send(state(s))
        await self.send({"type": "findings", "findings": []})
        self.findings = []
        self.dirty = True

    async def _hidden_view(self, body: dict) -> None:
        s = self.session
        layer = body["layer"]
        if layer is None:
            s.hidden_view = None
            return
        hidden = len(s.sizes) - 2
        if not 1 <= layer <= hidden:
            raise SessionError(
                "this network has no hidden layer"
                if hidden == 0
                else f"the hidden layers are 1 to {hidden}, not {layer}"
            )
        mode = body["mode"] or "units"
        units = body["units"] or [0, 1]
        width = s.sizes[layer]
        if mode == "units" and not all(0 <= u < width for u in units):
            raise SessionError(f"hidden layer {layer} has units 0 to {width - 1}")
        if mode == "pca" and width < 2:
            raise SessionError(f"hidden layer {layer} has one unit: no two directions to show")
        s.hidden_view = (layer, mode, (units[0], units[1]))

    async def _save(self, m: Message) -> None:
        if self.saving is not None and not self.saving.done():
            raise SessionError("a save is already running; wait for it to finish")
        job = self.session.save_job()
        await self.send(
            {
                "type": "saving",
                "message": f"saving {job.epochs} epochs: training the run again from its start "
                "to check it ends on these weights, then drawing its figures and report",
            }
        )

        loop = asyncio.get_running_loop()

        def say(line: str) -> None:  # from the saving thread
            message = {"type": "saving", "message": line}
            asyncio.run_coroutine_threadsafe(self.send(message), loop)

        async def save() -> None:
            try:
                folder = await asyncio.to_thread(save_session, job, self.runs_dir, say)
            except (SaveError, SessionError, ConfigError, DataError, OutputError) as error:
                await self.error(str(error), "save", m.id)
                return
            except OSError as error:
                await self.error(f"the run could not be saved: {_write_failure(error)}", "save")
                return
            except Exception as error:  # a bug: said to the page and logged
                logger.exception("playground: save failed")
                await self.error(
                    f"the run could not be saved ({type(error).__name__}: {error}); this is a "
                    "bug, please report it",
                    "save",
                    m.id,
                )
                return
            try:
                url = "/runs/" + folder.resolve().relative_to(self.runs_dir.resolve()).as_posix()
            except ValueError:
                url = None
            await self.send(
                {
                    "type": "saved",
                    "path": str(folder),
                    "report": str(folder / "report.html"),
                    "url": f"{url}/report.html" if url else None,
                    "message": f"saved as {folder}; open {folder / 'report.html'} for its report",
                }
            )

        self.saving = asyncio.create_task(save())


def create_app(runs_dir: Path | str = "runs") -> Starlette:
    """The playground app; saved runs go into ``runs_dir``."""
    runs = Path(runs_dir)

    async def index(request: Request):
        return FileResponse(STATIC / "index.html")

    async def api_options(request: Request):
        return JSONResponse(hello())

    pages: set[Connection] = set()

    async def socket(websocket: WebSocket):
        origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
        if origin is not None and origin not in (f"http://{host}", f"https://{host}"):
            # Another website open in the same browser must not drive this machine's server.
            await websocket.close(code=1008)
            return
        await websocket.accept()
        connection = Connection(websocket, runs)
        if len(pages) >= MAX_PAGES:
            await connection.error(
                f"the playground serves at most {MAX_PAGES} pages at once; close one and reload",
                None,
            )
            await websocket.close(code=1013)
            connection.session.close()
            return
        pages.add(connection)
        try:
            await connection.run()
        finally:
            pages.discard(connection)

    return Starlette(
        routes=[
            Route("/", index),
            Route("/api/options", api_options),
            WebSocketRoute("/ws", socket),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            # Saved runs, read only, so that the page can open their reports.
            Mount("/runs", StaticFiles(directory=runs, check_dir=False), name="runs"),
        ]
    )


__all__ = ["Connection", "create_app", "options", "replace"]
