// Live updates: the dispatch event stream (server-sent events from /api/v1/live/dispatch). A `plan`
// event says who changed what (in its own line, not the status line that answers the planner's actions) and refetches the board (debounced; a refetch at the same revision
// redraws nothing); a `run` event goes to the optimize panel. EventSource reconnects by itself, and
// the board refetches on reconnecting, because events sent while it was away are not replayed.
import { _ } from "../i18n.js";

const STREAM = "/api/v1/live/dispatch";

function said(data) {
  const by = data.by || _("Someone");
  switch (data.kind) {
    case "move":
      return _("%(by)s moved a task", { by });
    case "pin":
      return _("%(by)s pinned or unpinned a task", { by });
    case "publish":
      return _("%(by)s published a plan", { by });
    case "status":
      return _("%(by)s reported progress on a task", { by });
    case "task":
      return _("%(by)s added or changed a task", { by });
    default:
      return _("%(by)s changed the plan", { by });
  }
}

function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function init(board) {
  if (!("EventSource" in window)) return;
  const line = document.getElementById("board-live");
  const source = new EventSource(STREAM);
  let connected = false;
  source.addEventListener("open", () => {
    if (connected) board.reloadSoon(0); // back after a gap: catch up on what was missed
    connected = true;
    board.root.dataset.live = "on";
  });
  source.addEventListener("error", () => {
    board.root.dataset.live = "off";
  });
  source.addEventListener("plan", (event) => {
    const data = parsed(event.data);
    if (!data) return;
    if (line) line.textContent = said(data);
    board.emit("live", data);
    board.reloadSoon();
  });
  source.addEventListener("run", (event) => {
    const data = parsed(event.data);
    if (data) board.emit("run", data);
  });
  window.addEventListener("pagehide", () => source.close());
}
