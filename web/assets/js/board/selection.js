// The selected task: a summary above the board with its actions (assign or move, pin or unpin,
// and "why this engineer?", which opens the explanation popover from GET .../explanation).
// Managers read: they get the summary and the explanation, never an edit button.
import { _ } from "../i18n.js";
import { ApiError, api } from "./api.js";
import { badge, el } from "./dom.js";
import { dateTime, money, time } from "./format.js";
import { reportConflict } from "./moves.js";
import { duration, skillsText, statusName } from "./words.js";

export function init(board) {
  const panel = document.getElementById("board-selection");
  if (!panel) return;
  let popover = null;
  let popoverOpener = null;

  board.on("selected", render);
  board.on("loaded", render);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && popover) closePopover();
  });

  function render() {
    closePopover(false);
    const selection = board.selected;
    panel.replaceChildren();
    if (!selection || !board.data) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    const task = selection.task;
    const zone = board.data.time_zone || "UTC";
    const head = el("h2", "selection__title");
    head.id = "selection-title";
    head.append(badge(task.priority), document.createTextNode(` ${task.work_order_number} ${task.name}`));
    const facts = el("p", "selection__facts");
    const parts = [...new Set([task.customer_name, task.site?.name])];
    if (selection.kind === "assignment") {
      parts.push(`${dateTime(task.start, zone)}–${time(task.end, zone)}`);
      parts.push(task.engineer_names.join(", "));
      parts.push(statusName(task.status));
      if (task.pinned) parts.push(_("pinned"));
      if (task.late) parts.push(_("late"));
    } else {
      parts.push(_("unassigned"), duration(task.duration_minutes));
      if (task.reason?.text) parts.push(task.reason.text);
    }
    if (task.skills?.length) parts.push(skillsText(task.skills));
    facts.textContent = parts.filter(Boolean).join(" · ");

    const actions = el("div", "button-row selection__actions");
    if (board.canEdit) {
      const movable = selection.kind === "unassigned" || !["started", "done"].includes(task.status);
      if (movable) {
        const assign = button(selection.kind === "assignment" ? _("Move…") : _("Assign…"), "button");
        assign.addEventListener("click", () => board.openAssign?.(task, assign));
        actions.append(assign);
      }
      if (selection.kind === "assignment") {
        const pin = button(task.pinned ? _("Unpin") : _("Pin"), "button button--secondary");
        pin.setAttribute("aria-label", task.pinned
          ? _("Unpin %(number)s (the optimizer may move it again)", { number: task.work_order_number })
          : _("Pin %(number)s (the optimizer keeps it here)", { number: task.work_order_number }));
        pin.addEventListener("click", () => togglePin(task, pin));
        actions.append(pin);
      }
    }
    if (selection.kind === "assignment") {
      const why = button(_("Why this engineer?"), "button button--secondary");
      why.setAttribute("aria-haspopup", "dialog");
      why.setAttribute("aria-expanded", "false");
      why.addEventListener("click", () => explain(task, why));
      actions.append(why);
    }
    const clear = button(_("Clear the selection"), "button button--quiet");
    clear.addEventListener("click", () => board.select(null));
    actions.append(clear);
    panel.append(head, facts, actions);
  }

  function button(text, className) {
    const b = el("button", className, text);
    b.type = "button";
    return b;
  }

  async function togglePin(task, control) {
    control.disabled = true;
    const pinning = !task.pinned;
    try {
      await (pinning ? api.pin(task.task_id, task.task_version) : api.unpin(task.task_id, task.task_version));
      board.say(
        pinning
          ? _("%(number)s pinned: the optimizer keeps it where it is.", { number: task.work_order_number })
          : _("%(number)s unpinned: the optimizer may move it.", { number: task.work_order_number }),
        "success",
      );
      await board.reload();
      panel.querySelector(".selection__actions .button--secondary")?.focus();
    } catch (error) {
      control.disabled = false;
      if (error instanceof ApiError && error.status === 409) return reportConflict(board, error);
      board.say(_("Not saved: %(reason)s", { reason: error.message }), "error");
    }
  }

  async function explain(task, opener) {
    closePopover(false);
    popoverOpener = opener;
    opener.setAttribute("aria-expanded", "true");
    popover = el("div", "popover");
    popover.setAttribute("role", "dialog");
    popover.setAttribute("aria-labelledby", "explain-title");
    popover.tabIndex = -1;
    const title = el("h3", "popover__title", _("Why %(names)s", { names: task.engineer_names.join(", ") }));
    title.id = "explain-title";
    const body = el("div", "popover__body");
    body.append(el("p", "muted", _("Loading the explanation…")));
    const close = button(_("Close"), "button button--quiet popover__close");
    close.setAttribute("aria-label", _("Close the explanation"));
    close.addEventListener("click", () => closePopover());
    popover.append(title, body, close);
    panel.append(popover);
    popover.focus();
    try {
      const answer = await api.explanation(task.task_id);
      if (!popover) return;
      body.replaceChildren(...explanation(answer));
    } catch (error) {
      if (!popover) return;
      const reason = error instanceof ApiError ? error.problem.detail || error.message : error.message;
      body.replaceChildren(el("p", "field__error", _("No explanation: %(reason)s", { reason })));
    }
  }

  function explanation(answer) {
    const nodes = [];
    if (answer.engineer_names?.length) {
      nodes.push(el("p", "", _("Assigned to %(names)s.", { names: answer.engineer_names.join(", ") })));
    }
    if (answer.why) nodes.push(el("p", "popover__why", answer.why));
    const alt = answer.alternative;
    if (alt) {
      const cost = alt.extra_cost ? money(alt.extra_cost) : "";
      nodes.push(
        el(
          "p",
          "popover__alternative",
          cost
            ? _("Alternative: %(name)s would add %(time)s and cost %(cost)s more.", {
                name: alt.engineer_name,
                time: duration(alt.extra_minutes || 0),
                cost,
              })
            : _("Alternative: %(name)s would add %(time)s.", { name: alt.engineer_name, time: duration(alt.extra_minutes || 0) }),
        ),
      );
    } else {
      nodes.push(el("p", "popover__alternative", _("No other engineer could take it.")));
    }
    if (answer.factors?.length) {
      const list = el("dl", "popover__factors");
      for (const f of answer.factors) list.append(el("dt", "", f.label), el("dd", "", String(f.value)));
      nodes.push(list);
    }
    return nodes;
  }

  function closePopover(returnFocus = true) {
    if (!popover) return;
    popover.remove();
    popover = null;
    popoverOpener?.setAttribute("aria-expanded", "false");
    if (returnFocus && popoverOpener && document.contains(popoverOpener)) popoverOpener.focus();
    popoverOpener = null;
  }
}
