// "Find a slot" for the task selected on the board (an urgent one, typically from the queue):
// POST /insertions ranks the feasible places in the published plan; each row shows the engineer,
// the start in the board's zone, the added travel, the lateness and the cost in money, and
// "Assign" books it in one click (POST /moves with the task's version), then the board reloads.
import { _ } from "../i18n.js";
import { selectedTaskId, taskLabel, wireDialog } from "./dialogs.js";
import { clearErrors, showErrors } from "./form-errors.js";
import { dateTime, money } from "./format.js";
import { duration } from "./run-panel.js";
import { problemText, request } from "./tools-http.js";

const INSERTIONS = "/api/v1/dispatch/insertions";
const MOVES = "/api/v1/dispatch/moves";
const INSERTABLE = new Set(["open", "scheduled"]);
const OPTIONS = 8;

function row(board, taskId) {
  const rows = [...(board.data?.unassigned || []), ...(board.data?.assignments || [])];
  return rows.find((r) => r.task_id === taskId) || null;
}

// Days the insertion may look ahead: from today to the end of the board's window (1..14).
function lookAhead(board) {
  const today = new Date();
  const todayUtc = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  const end = Date.parse(`${board.filters.start}T00:00:00Z`) + board.filters.days * 86_400_000;
  return Math.min(14, Math.max(1, Math.ceil((end - todayUtc) / 86_400_000)));
}

export function init(board) {
  const opener = document.getElementById("slot-open");
  const dialog = document.getElementById("slot-dialog");
  if (!board.canEdit || !opener || !dialog) return;
  const heading = document.getElementById("slot-task");
  const status = document.getElementById("slot-status");
  const errors = document.getElementById("slot-errors");
  const wrap = document.getElementById("slot-options-wrap");
  const body = document.querySelector("#slot-options tbody");
  let taskId = null;

  function selectable(id) {
    const found = id ? row(board, id) : null;
    return found && INSERTABLE.has(found.status) ? found : null;
  }

  function update(detail) {
    taskId = selectedTaskId(detail);
    opener.disabled = !selectable(taskId);
  }
  board.on("selected", update);
  board.on("loaded", () => update(board.selected));

  async function assign(task, option, button) {
    clearErrors(dialog, errors);
    for (const other of body.querySelectorAll("button")) other.disabled = true;
    const answer = await request("POST", MOVES, {
      task_id: task.task_id,
      engineer_ids: [option.engineer_id],
      start: option.start,
      version: task.task_version,
    });
    if (answer.ok) {
      const text = _("%(task)s assigned to %(name)s, %(start)s.", {
        task: taskLabel(board, task.task_id) || task.name,
        name: option.engineer_name,
        start: dateTime(option.start, board.data?.time_zone || "UTC"),
      });
      board.say(text, "success");
      dialog.close();
      await board.reload();
      return;
    }
    for (const other of body.querySelectorAll("button")) other.disabled = false;
    const items = [{ field: null, message: problemText(answer) }];
    for (const violation of answer.body.violations || []) items.push({ field: null, message: violation.text });
    if (answer.status === 409) {
      if (answer.body.changed_by) items.push({ field: null, message: _("Changed by %(name)s.", { name: answer.body.changed_by }) });
      for (const change of answer.body.changes || []) items.push({ field: null, message: change });
      items.push({ field: null, message: _("Close this dialog; the board reloads with the latest plan.") });
      board.reload();
    }
    showErrors(dialog, errors, items);
    button.focus();
  }

  function render(task, options) {
    body.replaceChildren();
    const zone = board.data?.time_zone || "UTC";
    for (const option of options) {
      const tr = body.insertRow();
      const who = document.createElement("th");
      who.scope = "row";
      who.textContent = option.engineer_name || _("Unnamed engineer");
      tr.append(who);
      const cells = [
        [dateTime(option.start, zone), "", _("Start")],
        [duration(option.added_travel_minutes != null ? option.added_travel_minutes * 60 : option.added_travel_seconds), "num", _("Added travel")],
        [option.late_seconds > 0 ? duration(option.late_seconds) : _("on time"), "num", _("Late by")],
        [money(option.cost), "num", _("Cost")],
      ];
      for (const [text, cls, label] of cells) {
        const cell = tr.insertCell();
        cell.textContent = text;
        // on a phone the rows become cards and each value says what it is (CSS ::before)
        cell.dataset.label = label;
        if (cls) cell.className = cls;
      }
      const action = tr.insertCell();
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button button--secondary";
      button.textContent = _("Assign");
      button.setAttribute("aria-label", _("Assign to %(name)s, %(start)s", { name: option.engineer_name, start: dateTime(option.start, zone) }));
      button.addEventListener("click", () => assign(task, option, button));
      action.append(button);
    }
    wrap.hidden = options.length === 0;
  }

  wireDialog(dialog, opener, async () => {
    const task = selectable(taskId);
    if (!task) return;
    clearErrors(dialog, errors);
    body.replaceChildren();
    wrap.hidden = true;
    heading.textContent = taskLabel(board, task.task_id) || task.name;
    status.textContent = _("Looking for the best places…");
    const answer = await request("POST", INSERTIONS, { task_id: task.task_id, days: lookAhead(board), limit: OPTIONS });
    if (!answer.ok) {
      status.textContent = "";
      showErrors(dialog, errors, [{ field: null, message: problemText(answer) }]);
      return;
    }
    const options = answer.body.options || [];
    status.textContent = options.length
      ? _("%(count)s places found, best first.", { count: options.length })
      : _("No engineer can take this task in the coming days.");
    render(task, options);
  });
}
