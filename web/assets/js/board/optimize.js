// "Optimize": a dialog for the policy, horizon and time limit; POST /runs starts a full run whose
// progress is drawn live (run-panel.js) and can be cancelled; once it ends, its KPIs stand next to
// the published plan's (GET /published/kpis) and the planner publishes it or discards it. A 409 on
// publish (the plan went stale) lists what changed since the run started.
import { _ } from "../i18n.js";
import { taskLabel, wireDialog } from "./dialogs.js";
import { clearErrors, problemErrors, showErrors } from "./form-errors.js";
import { createRunPanel } from "./run-panel.js";
import { problemText, request } from "./tools-http.js";

const RUNS = "/api/v1/dispatch/runs";
const PUBLISHED_KPIS = "/api/v1/dispatch/published/kpis";

// The run's body from the form; the horizon's territory is the board's filter.
export function horizonOf(form, board) {
  const body = {
    first_day: form.elements.first_day.value || null,
    days: Number(form.elements.days.value),
    policy: form.elements.policy.value,
    time_limit_seconds: Number(form.elements.time_limit_seconds.value),
  };
  if (board.filters.territory) body.territories = [board.filters.territory];
  return body;
}

// The published plan measured over the run's horizon, by the server (same keys as the run's KPIs).
export async function publishedKpis(run) {
  const horizon = run.parameters?.horizon || {};
  const query = new URLSearchParams();
  if (horizon.first_day) query.set("first_day", horizon.first_day);
  if (horizon.days) query.set("days", String(horizon.days));
  if (run.parameters?.policy) query.set("policy", run.parameters.policy);
  if (horizon.territories?.length) query.set("territory", horizon.territories[0]);
  const answer = await request("GET", `${PUBLISHED_KPIS}?${query}`);
  return answer.ok ? answer.body : null;
}

// What a 409 on publish says changed: the server's sentences if it gives them, else the tasks it
// lists, by work order number and name (never an id).
export function staleText(board, body) {
  const lines = [];
  if (Array.isArray(body.changes)) lines.push(...body.changes);
  else if (Array.isArray(body.tasks)) {
    for (const task of body.tasks) {
      const label = taskLabel(board, task.task_id) || _("a task no longer on this board");
      lines.push(task.current_version === null ? _("%(task)s was removed", { task: label }) : _("%(task)s was changed", { task: label }));
    }
  }
  const who = body.changed_by ? _("Changed by %(name)s.", { name: body.changed_by }) : "";
  return { summary: [body.detail, who].filter(Boolean).join(" "), lines };
}

export function init(board) {
  const opener = document.getElementById("optimize-open");
  const dialog = document.getElementById("optimize-dialog");
  if (!board.canEdit || !opener || !dialog) return;
  const form = document.getElementById("optimize-form");
  const errors = document.getElementById("optimize-errors");
  const start = document.getElementById("optimize-start");
  const decision = document.getElementById("optimize-decision");
  const publish = document.getElementById("optimize-publish");
  const discard = document.getElementById("optimize-discard");
  const panel = createRunPanel(board, "optimize");
  let finished = null;

  function ready() {
    finished = null;
    decision.hidden = true;
    panel.reset();
    form.hidden = false;
    start.disabled = false;
    clearErrors(form, errors);
  }

  wireDialog(dialog, opener, () => {
    // a run still going (the dialog was closed meanwhile) keeps its panel; otherwise a fresh form
    if (!panel.running && !finished) {
      form.elements.first_day.value = board.filters.start;
      form.elements.days.value = String(board.filters.days);
      ready();
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form, errors);
    start.disabled = true;
    const answer = await request("POST", RUNS, { kind: "full", ...horizonOf(form, board) });
    start.disabled = false;
    if (!answer.ok) {
      showErrors(form, errors, problemErrors(answer.body, problemText(answer)));
      return;
    }
    form.hidden = true;
    const run = await panel.watch(answer.body);
    finished = run;
    const published = await publishedKpis(run);
    const note = published ? "" : _("The published plan's measures are not available, so there is nothing to compare with.");
    if (run.kpis) panel.compare(published, run.kpis, note);
    publish.hidden = run.status !== "succeeded";
    decision.hidden = false;
    (run.status === "succeeded" ? publish : discard).focus();
  });

  publish.addEventListener("click", async () => {
    if (!finished) return;
    publish.disabled = true;
    const answer = await request("POST", `${RUNS}/${finished.id}/publish`, { version: finished.version });
    publish.disabled = false;
    if (answer.ok) {
      const count = answer.body.published?.length || 0;
      board.say(_("Plan published: %(count)s tasks scheduled.", { count }), "success");
      ready();
      dialog.close();
      await board.reload();
      return;
    }
    const items = [];
    if (answer.status === 409) {
      // a stale plan never becomes publishable again: what is left is to discard it and run anew
      publish.hidden = true;
      const stale = staleText(board, answer.body);
      items.push({ field: null, message: stale.summary || problemText(answer) });
      for (const line of stale.lines) items.push({ field: null, message: line });
    } else {
      items.push({ field: null, message: problemText(answer) });
    }
    showErrors(form, errors, items);
  });

  discard.addEventListener("click", () => {
    // nothing to undo on the server: an unpublished run changes no task
    ready();
    dialog.close();
  });
}
