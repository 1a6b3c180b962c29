// The unassigned queue: every open task without a plan, with priority, SLA, skills, windows and
// the solver's reason; filtered by priority and text, counted by priority. A planner drags an
// item onto the Gantt or selects it and assigns it by keyboard (the assign dialog).
import { _ } from "../i18n.js";
import { dateTime, time } from "./format.js";
import { badge, el } from "./dom.js";
import { duration, skillsText, slaState } from "./words.js";

const PRIORITIES = ["P1", "P2", "P3", "P4"];

export function init(board) {
  const list = document.getElementById("queue-list");
  if (!list) return;
  const counts = document.getElementById("queue-counts");
  const total = document.getElementById("queue-total");
  const priority = document.getElementById("queue-priority");
  const text = document.getElementById("queue-text");
  const form = document.getElementById("queue-filter");

  form?.addEventListener("submit", (event) => event.preventDefault());
  priority?.addEventListener("change", render);
  text?.addEventListener("input", render);
  board.on("loaded", render);
  board.on("selected", mark);
  list.addEventListener("click", (event) => {
    const item = event.target.closest(".queue__item");
    if (!item) return;
    const task = board.data.unassigned.find((u) => u.task_id === item.dataset.taskId);
    if (!task) return;
    board.select({ kind: "unassigned", task });
    if (event.target.closest(".queue__assign")) board.openAssign?.(task, event.target.closest("button"));
  });

  function matches(task, wanted, words) {
    if (wanted && task.priority !== wanted) return false;
    if (!words.length) return true;
    const hay = [task.work_order_number, task.name, task.customer_name, task.site?.name, skillsText(task.skills)]
      .join(" ")
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  function render() {
    const data = board.data;
    if (!data) return;
    const zone = data.time_zone || "UTC";
    const byPriority = data.counts?.unassigned_by_priority || {};
    counts.replaceChildren();
    for (const p of PRIORITIES) {
      const item = el("li", "queue__count");
      item.append(badge(p), document.createTextNode(` ${byPriority[p] || 0}`));
      counts.append(item);
    }
    const wanted = priority?.value || "";
    const words = (text?.value || "").trim().toLowerCase().split(/\s+/).filter(Boolean);
    const shown = data.unassigned.filter((t) => matches(t, wanted, words));
    total.textContent = shown.length === data.unassigned.length
      ? _("Tasks: %(count)s", { count: data.unassigned.length })
      : _("Showing %(shown)s of %(count)s", { shown: shown.length, count: data.unassigned.length });
    const fragment = document.createDocumentFragment();
    for (const task of shown) fragment.append(item(task, zone));
    list.replaceChildren(fragment);
    if (!shown.length) list.append(el("li", "queue__empty", _("No unassigned task.")));
    mark();
  }

  function item(task, zone) {
    const li = el("li", `queue__item queue__item--${(task.priority || "P4").toLowerCase()}`);
    li.dataset.taskId = task.task_id;
    li.draggable = board.canEdit;
    const head = el("div", "queue__head");
    head.append(badge(task.priority));
    const select = el("button", "queue__select", `${task.work_order_number} ${task.name}`);
    select.type = "button";
    select.dataset.taskId = task.task_id;
    select.setAttribute("aria-pressed", "false");
    head.append(select);
    li.append(head);

    const facts = el("dl", "queue__facts");
    const fact = (label, value, className = "") => {
      if (!value) return;
      const dt = el("dt", "", label);
      const dd = el("dd", className);
      if (value instanceof Node) dd.append(value);
      else dd.textContent = value;
      facts.append(dt, dd);
    };
    fact(_("Customer"), [...new Set([task.customer_name, task.site?.name].filter(Boolean))].join(" · "));
    fact(_("Duration"), task.crew_size > 1
      ? _("%(time)s, crew of %(size)s", { time: duration(task.duration_minutes), size: task.crew_size })
      : duration(task.duration_minutes));
    const sla = slaState(task.sla_due);
    if (sla) {
      const b = el("span", `badge badge--${sla.kind}`, sla.text);
      b.title = dateTime(task.sla_due, zone);
      fact(_("SLA"), b);
    }
    fact(_("Skills"), skillsText(task.skills));
    fact(_("Windows"), (task.time_windows || [])
      .map((w) => `${dateTime(w.start, zone)}–${time(w.end, zone)}`)
      .join("; "));
    fact(_("Why unassigned"), task.reason?.text || "", "queue__reason");
    li.append(facts);

    if (board.canEdit) {
      const assign = el("button", "button button--secondary queue__assign", _("Assign…"));
      assign.type = "button";
      assign.setAttribute("aria-label", _("Assign %(number)s", { number: task.work_order_number }));
      li.append(assign);
    }
    return li;
  }

  function mark() {
    const id = board.selected?.kind === "unassigned" ? board.selected.task.task_id : null;
    for (const b of list.querySelectorAll(".queue__select")) {
      const on = b.dataset.taskId === id;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.closest(".queue__item").classList.toggle("is-selected", on);
    }
  }
}
