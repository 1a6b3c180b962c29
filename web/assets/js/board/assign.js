// Assigning by keyboard: the dialog (planner/partials/assign.html) asks for the engineer(s), the
// day and the start in the board's zone, can suggest feasible slots (POST /insertions), and
// sends the move. Violations (422) are listed in the dialog and the planner's input is kept.
import { _ } from "../i18n.js";
import { api, ApiError } from "./api.js";
import { el } from "./dom.js";
import { HOUR, dateTime, day, money, utcToZoned, zonedToUtc } from "./format.js";
import { duration } from "./words.js";

export function init(board) {
  const dialog = document.getElementById("assign-dialog");
  if (!dialog || !board.canEdit) return;
  const form = document.getElementById("assign-form");
  const summary = document.getElementById("assign-task");
  const crew = document.getElementById("assign-engineers");
  const date = document.getElementById("assign-date");
  const clock = document.getElementById("assign-time");
  const zoneHint = document.getElementById("assign-zone");
  const errors = document.getElementById("assign-errors");
  const suggest = document.getElementById("assign-suggest");
  const options = document.getElementById("assign-options");
  const cancel = document.getElementById("assign-cancel");
  let current = null;
  let opener = null;

  board.openAssign = (task, from = null) => {
    current = task;
    opener = from || document.activeElement;
    const zone = board.data.time_zone || "UTC";
    summary.textContent = [task.priority, task.work_order_number, task.name, task.customer_name, duration(task.duration_minutes)]
      .filter(Boolean)
      .join(" · ");
    zoneHint.textContent = _("Time in %(zone)s", { zone });
    const size = Math.max(1, task.crew_size || task.engineer_ids?.length || 1);
    crew.replaceChildren();
    for (let i = 0; i < size; i += 1) crew.append(engineerField(i, size, task.engineer_ids?.[i] || ""));
    fillDays(zone);
    fillTimes();
    const planned = task.start ? Date.parse(task.start) : defaultStart();
    choose(utcToZoned(planned, zone));
    errors.hidden = true;
    options.replaceChildren();
    dialog.showModal();
    crew.querySelector("select")?.focus();
  };

  // the days of the board's window, and the quarter hours of a day: selects work the same with
  // a keyboard and a screen reader in every locale (typing "14:00" picks the option)
  function fillDays(zone) {
    date.replaceChildren();
    for (let t = Date.parse(board.data.start); t < Date.parse(board.data.end); t += 24 * HOUR) {
      const local = utcToZoned(t + 12 * HOUR, zone).date; // midday: a DST day is still that day
      if (![...date.options].some((o) => o.value === local)) date.append(new Option(day(t + 12 * HOUR, zone), local));
    }
  }

  function fillTimes() {
    if (clock.options.length) return;
    for (let minutes = 0; minutes < 24 * 60; minutes += 15) {
      const text = `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
      clock.append(new Option(text, text));
    }
  }

  function choose(local) {
    if (![...date.options].some((o) => o.value === local.date)) date.append(new Option(local.date, local.date));
    date.value = local.date;
    if (![...clock.options].some((o) => o.value === local.time)) {
      const later = [...clock.options].find((o) => o.value > local.time);
      clock.insertBefore(new Option(local.time, local.time), later || null);
    }
    clock.value = local.time;
  }

  function defaultStart() {
    // the window's first day at 08:00, or the next quarter hour if that is already past
    const zone = board.data.time_zone || "UTC";
    const startDay = utcToZoned(Date.parse(board.data.start), zone).date;
    const morning = zonedToUtc(startDay, "08:00", zone);
    const soon = Math.ceil((Date.now() + HOUR / 4) / (HOUR / 4)) * (HOUR / 4);
    return Math.max(morning, soon);
  }

  function engineerField(index, size, chosen) {
    const field = el("div", "field");
    const id = `assign-engineer-${index}`;
    const label = el("label", "", size === 1 ? _("Engineer") : index === 0 ? _("Lead engineer") : _("Crew member %(n)s", { n: index + 1 }));
    label.htmlFor = id;
    const select = el("select");
    select.id = id;
    select.name = "engineer";
    select.required = true;
    select.append(new Option(_("Choose an engineer"), ""));
    for (const e of board.data.engineers) {
      const text = e.territory ? `${e.name} (${e.territory})` : e.name;
      select.append(new Option(text, e.id, false, e.id === chosen));
    }
    field.append(label, select);
    return field;
  }

  function showErrors(title, lines) {
    errors.replaceChildren(el("h3", "", title));
    const list = el("ul");
    for (const line of lines) list.append(el("li", "", line));
    errors.append(list);
    errors.hidden = false;
    errors.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ids = [...crew.querySelectorAll("select")].map((s) => s.value);
    const missing = [];
    if (ids.some((id) => !id)) missing.push(_("Choose an engineer."));
    if (!date.value) missing.push(_("Enter the day."));
    if (!clock.value) missing.push(_("Enter the start time."));
    if (new Set(ids).size !== ids.length) missing.push(_("Choose each engineer only once."));
    if (missing.length) return showErrors(_("Check the assignment"), missing);
    const zone = board.data.time_zone || "UTC";
    const start = zonedToUtc(date.value, clock.value, zone);
    const task = current;
    const engineerId = task.engineer_ids?.[0] || null;
    const result = await board.move(task, ids, start, engineerId ? { engineerId } : null);
    if (result.ok) {
      close();
    } else if (result.conflict) {
      // the board reloaded: keep the planner's choices, take the task's new version, say who
      // changed what; assigning again is one key press away
      const fresh = board.data.assignments.find((a) => a.task_id === task.task_id)
        || board.data.unassigned.find((u) => u.task_id === task.task_id);
      if (!fresh) return close();
      current = fresh;
      showErrors(_("Not saved: the plan changed meanwhile"), result.lines);
    } else {
      showErrors(_("Not saved"), result.lines);
    }
  });

  suggest?.addEventListener("click", async () => {
    options.replaceChildren(el("p", "muted", _("Looking for feasible slots…")));
    const zone = board.data.time_zone || "UTC";
    try {
      const answer = await api.insertions(current.task_id, Math.max(1, board.filters.days));
      options.replaceChildren();
      if (!answer.options.length) {
        options.append(el("p", "", _("No feasible slot in the next days.")));
        return;
      }
      const list = el("ul", "assign__options");
      for (const o of answer.options) {
        const li = el("li");
        const pick = el("button", "button button--quiet");
        pick.type = "button";
        const extra = [
          _("+%(time)s travel", { time: duration(Math.round((o.added_travel_minutes ?? o.added_travel_seconds / 60) || 0)) }),
        ];
        if (o.cost && typeof o.cost === "object") extra.push(money(o.cost));
        pick.textContent = `${o.engineer_name || ""}, ${dateTime(o.start, zone)} (${extra.join(", ")})`;
        pick.addEventListener("click", () => {
          const first = crew.querySelector("select");
          first.value = o.engineer_id;
          choose(utcToZoned(Date.parse(o.start), zone));
          first.focus();
        });
        li.append(pick);
        list.append(li);
      }
      options.append(list);
    } catch (error) {
      const reason = error instanceof ApiError ? error.problem.detail || error.message : error.message;
      options.replaceChildren(el("p", "field__error", _("No suggestion: %(reason)s", { reason })));
    }
  });

  function close() {
    if (dialog.open) dialog.close();
  }
  cancel.addEventListener("click", close);
  dialog.addEventListener("close", () => {
    current = null;
    if (opener && document.contains(opener)) opener.focus();
    else document.getElementById("board-selection")?.querySelector("button")?.focus();
  });
}
