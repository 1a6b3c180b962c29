// The board's state and event bus: the filters (from the page, mirrored in the URL), the last
// answer of GET /api/v1/dispatch/board, and what is selected. Events: "loading", "loaded" (data),
// "unchanged" (same revision), "load-failed" (error), "selected" (selection or null), "filters"
// (filters), "rendered".
import { _ } from "../i18n.js";
import { api, boardQuery } from "./api.js";

export function createBoard(root) {
  const listeners = new Map();
  const status = document.getElementById("board-status");
  let pending = null; // the reload in flight: a newer one aborts it, so the latest answer wins
  let debounce = null;
  let shown = ""; // the filters the data on screen was asked with

  const board = {
    root,
    canEdit: root.dataset.canEdit === "true",
    filters: {
      start: root.dataset.start,
      days: Number(root.dataset.days || 1),
      territory: root.dataset.territory || "",
      skill: root.dataset.skill || "",
      sort: root.dataset.sort || "name",
    },
    data: null,
    selected: null, // {kind: "assignment" | "unassigned", task, engineerId?}
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(listener);
    },
    emit(event, detail) {
      for (const listener of listeners.get(event) || []) listener(detail);
    },
    async reload() {
      pending?.abort();
      const controller = new AbortController();
      pending = controller;
      board.emit("loading");
      root.setAttribute("aria-busy", "true");
      try {
        const asked = JSON.stringify(board.filters);
        const data = await api.board(board.filters, controller.signal);
        if (pending !== controller) return;
        // the same view at the same revision (a live event about something else): nothing to redraw,
        // so focus and scroll stay where the planner left them
        if (board.data && data.revision && data.revision === board.data.revision && asked === shown) {
          board.emit("unchanged", data);
          return;
        }
        shown = asked;
        board.data = data;
        board.canEdit = board.canEdit && data.can_edit !== false;
        board.reselect();
        board.emit("loaded", data);
      } catch (error) {
        if (error.name === "AbortError") return;
        board.say(_("The board could not be loaded: %(reason)s", { reason: error.message }), "error");
        board.emit("load-failed", error);
      } finally {
        if (pending === controller) {
          pending = null;
          root.removeAttribute("aria-busy");
        }
      }
    },
    // live updates arrive in bursts: one refetch for a burst
    reloadSoon(delay = 300) {
      clearTimeout(debounce);
      debounce = setTimeout(() => board.reload(), delay);
    },
    setFilters(changes) {
      Object.assign(board.filters, changes);
      const url = new URL(window.location.href);
      url.search = boardQuery(board.filters).toString();
      window.history.replaceState(null, "", url);
      board.emit("filters", board.filters);
      return board.reload();
    },
    select(selection) {
      board.selected = selection;
      board.emit("selected", selection);
    },
    // after a reload the selected task is looked up again (new version, maybe moved or planned)
    reselect() {
      const current = board.selected;
      if (!current || !board.data) return;
      const id = current.task.task_id;
      const planned = board.data.assignments.find((a) => a.task_id === id);
      const open = board.data.unassigned.find((u) => u.task_id === id);
      if (planned) {
        const engineerId = planned.engineer_ids.includes(current.engineerId) ? current.engineerId : planned.engineer_ids[0];
        board.selected = { kind: "assignment", task: planned, engineerId };
      } else if (open) board.selected = { kind: "unassigned", task: open };
      else board.selected = null;
    },
    engineer(id) {
      return board.data?.engineers.find((e) => e.id === id) || null;
    },
    // the status region (role=status, aria-live): what happened, in words
    say(text, kind = "info", details = []) {
      if (!status) return;
      status.replaceChildren();
      status.className = `board__status board__status--${kind}`;
      const lead = document.createElement("span");
      lead.textContent = text;
      status.append(lead);
      if (details.length) {
        const list = document.createElement("ul");
        for (const line of details) {
          const item = document.createElement("li");
          item.textContent = line;
          list.append(item);
        }
        status.append(list);
      }
    },
  };
  return board;
}
