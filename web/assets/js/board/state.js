// The board's state and event bus: the filters (from the page, mirrored in the URL), the last
// answer of GET /api/v1/dispatch/board, and what is selected.
export function createBoard(root) {
  const listeners = new Map();
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
    selected: null,
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(listener);
    },
    emit(event, detail) {
      for (const listener of listeners.get(event) || []) listener(detail);
    },
    async reload() {
      board.emit("loading");
      board.emit("loaded", board.data);
    },
  };
  return board;
}
