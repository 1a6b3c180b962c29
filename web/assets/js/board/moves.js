// Moving work: drag a queue item or a Gantt block onto an engineer's row at a time (snapped to
// 15 minutes), or assign through the dialog; both end in POST /moves. A refused move (422) shows
// its violations in the status region and on the block, and nothing moves (the board is only
// redrawn from the server's answer); a stale one (409) says who changed what and reloads.
import { _ } from "../i18n.js";
import { ApiError, api } from "./api.js";
import { el, place } from "./dom.js";
import { MINUTE, dateTime, iso, time } from "./format.js";

let dragging = null; // {task, fromEngineer, grab (px from the block's left edge)}

export function init(board) {
  board.move = (task, engineerIds, start, source = null) => move(board, task, engineerIds, start, source);
  if (!board.canEdit) return;
  const gantt = document.getElementById("gantt");
  const queue = document.getElementById("queue-list");
  let indicator = null;

  const taskOf = (id) =>
    board.data.assignments.find((a) => a.task_id === id) || board.data.unassigned.find((u) => u.task_id === id);

  function start(event) {
    const block = event.target.closest?.(".gantt__block[draggable='true'], .queue__item[draggable='true']");
    if (!block) return;
    const task = taskOf(block.dataset.taskId);
    if (!task) return;
    const fromBlock = block.classList.contains("gantt__block");
    dragging = {
      task,
      fromEngineer: fromBlock ? block.dataset.engineerId : null,
      grab: fromBlock ? event.clientX - block.getBoundingClientRect().left : 0,
      source: block,
    };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", task.work_order_number);
    block.classList.add("is-dragging");
  }

  function end() {
    dragging?.source.classList.remove("is-dragging");
    dragging = null;
    indicator?.remove();
    indicator = null;
  }

  function over(event) {
    const lane = event.target.closest?.(".gantt__lane");
    if (!dragging || !lane) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const at = board.gantt.timeAt(lane, event.clientX, dragging.grab);
    if (!indicator) indicator = el("span", "gantt__drop");
    if (indicator.parentElement !== lane) lane.append(indicator);
    const minutes = dragging.task.duration_minutes || 60;
    place(indicator, board.gantt.x(at), Math.max(8, board.gantt.x(at + minutes * MINUTE) - board.gantt.x(at)));
    indicator.textContent = time(at, board.gantt.zone);
  }

  async function drop(event) {
    const lane = event.target.closest?.(".gantt__lane");
    if (!dragging || !lane) return;
    event.preventDefault();
    const { task, fromEngineer, grab, source } = dragging;
    const at = board.gantt.timeAt(lane, event.clientX, grab);
    end();
    const to = lane.dataset.engineerId;
    await board.move(task, crewFor(task, fromEngineer, to), at, { element: source, engineerId: fromEngineer });
  }

  for (const host of [gantt, queue]) {
    host?.addEventListener("dragstart", start);
    host?.addEventListener("dragend", end);
  }
  gantt?.addEventListener("dragover", over);
  gantt?.addEventListener("drop", drop);
  gantt?.addEventListener("dragleave", (event) => {
    if (indicator && !gantt.contains(event.relatedTarget)) {
      indicator.remove();
      indicator = null;
    }
  });
}

// a block dragged from one crew member's row to another engineer swaps that member only
function crewFor(task, from, to) {
  if (!task.engineer_ids?.length) return [to];
  if (!from || from === to) return from ? [...task.engineer_ids] : [to];
  const ids = task.engineer_ids.map((id) => (id === from ? to : id));
  return ids.filter((id, i) => ids.indexOf(id) === i);
}

export function violationLines(problem) {
  const found = problem.violations || [];
  if (found.length) return found.map((v) => v.text || v.code);
  return [problem.detail || problem.title || ""].filter(Boolean);
}

export function conflictLines(problem, zone = "UTC") {
  const lead = problem.changed_by
    ? _("%(who)s changed this task at %(time)s.", {
        who: problem.changed_by,
        time: problem.changed_at ? dateTime(problem.changed_at, zone) : "",
      })
    : _("Someone else changed this task in the meantime.");
  return [lead, ...(problem.changes || [])];
}

// A stale edit (409): say who changed what, then reload so the planner sees the current plan.
export async function reportConflict(board, error) {
  board.say(_("Not saved: the plan changed meanwhile. The board now shows the current plan."), "warning", conflictLines(error.problem, board.gantt?.zone));
  await board.reload();
}

async function move(board, task, engineerIds, start, source) {
  const names = engineerIds.map((id) => board.engineer(id)?.name || "").filter(Boolean).join(", ");
  board.say(_("Saving %(number)s…", { number: task.work_order_number }), "info");
  try {
    await api.move({ task_id: task.task_id, engineer_ids: engineerIds, start: iso(start), version: task.task_version });
  } catch (error) {
    if (!(error instanceof ApiError)) {
      board.say(_("Not saved: %(reason)s", { reason: error.message }), "error");
      return { ok: false, lines: [error.message] };
    }
    if (error.status === 409) {
      await reportConflict(board, error);
      return { ok: false, conflict: true, lines: conflictLines(error.problem, board.gantt?.zone) };
    }
    const lines = violationLines(error.problem);
    board.say(
      _("Not saved: %(number)s cannot go to %(names)s at %(time)s.", {
        number: task.work_order_number,
        names,
        time: dateTime(start, board.gantt?.zone || "UTC"),
      }),
      "error",
      lines,
    );
    flagRefused(board, task, source, lines);
    return { ok: false, lines };
  }
  board.say(
    _("Saved: %(number)s planned for %(names)s at %(time)s.", {
      number: task.work_order_number,
      names,
      time: dateTime(start, board.gantt?.zone || "UTC"),
    }),
    "success",
  );
  await board.reload();
  return { ok: true };
}

// the refused block (or queue item) stays where it was, marked, with the reasons as its description
function flagRefused(board, task, source, lines) {
  let target = null;
  if (source?.engineerId) target = board.showBlock?.(task.task_id, source.engineerId, "is-refused");
  else target = document.querySelector(`.queue__item[data-task-id="${CSS.escape(task.task_id)}"]`);
  if (!target) return;
  target.classList.add("is-refused");
  target.setAttribute("aria-describedby", "board-status");
  target.title = lines.join("\n");
}
