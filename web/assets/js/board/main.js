// The dispatch board's entry module. It owns the board's state (one object, `board`) and hands it
// to the parts, each a module with `init(board)`: the Gantt, the unassigned queue, the map, the
// tools (optimize, what-if, find a slot, explanations) and the live updates. Parts talk through
// the board's events ("loaded", "selected", "changed", ...), never to each other directly.
import { createBoard } from "./state.js";

const root = document.getElementById("board");
if (root) {
  const board = createBoard(root);
  const parts = await Promise.all([
    import("./gantt.js"),
    import("./queue.js"),
    import("./moves.js"),
    import("./assign.js"),
    import("./selection.js"),
    import("./filters.js"),
    import("./optimize.js"),
    import("./whatif.js"),
    import("./slot.js"),
    import("./map.js"),
    import("./live.js"),
  ]);
  for (const part of parts) part.init(board);
  await board.reload();
}
