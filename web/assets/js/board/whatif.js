// "What-if": the same run as Optimize on a changed world (an engineer off sick over the horizon, an
// extra contractor starting from a colleague's home base, other weights), compared with the
// published plan the server measured when the run started. Never published: the dialog has no
// such button and the server refuses it anyway.
import { _ } from "../i18n.js";
import { wireDialog } from "./dialogs.js";
import { clearErrors, problemErrors, showErrors } from "./form-errors.js";
import { horizonOf } from "./optimize.js";
import { createRunPanel } from "./run-panel.js";
import { problemText, request } from "./tools-http.js";

const RUNS = "/api/v1/dispatch/runs";

function lastDay(firstDay, days) {
  const date = new Date(`${firstDay}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + Math.max(1, days) - 1);
  return date.toISOString().slice(0, 10);
}

function option(value, text) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = text;
  return element;
}

// The engineers and skills the selects offer, from the board's data.
function fillChoices(form, board) {
  const engineers = [...(board.data?.engineers || [])].sort((a, b) => a.name.localeCompare(b.name));
  const sick = form.elements.sick;
  const chosen = sick.value;
  sick.replaceChildren(option("", _("Nobody")), ...engineers.map((e) => option(e.id, e.name)));
  sick.value = chosen;
  const base = form.elements.extra_base;
  base.replaceChildren(
    ...engineers.filter((e) => e.home && e.home.latitude != null).map((e) => option(e.id, e.name)),
  );
  const skills = [...new Set(engineers.flatMap((e) => (e.skills || []).map((s) => s.skill)))].sort();
  const skill = form.elements.extra_skill;
  const picked = skill.value;
  skill.replaceChildren(option("", _("No particular skill")), ...skills.map((s) => option(s, s)));
  skill.value = picked;
}

export function changesOf(form, board) {
  const first = form.elements.first_day.value;
  const days = Number(form.elements.days.value) || 1;
  const changes = { sick: [], extra_engineers: [] };
  if (form.elements.sick.value) {
    changes.sick.push({ engineer_id: form.elements.sick.value, first_day: first, last_day: lastDay(first, days) });
  }
  if (form.elements.extra.checked) {
    const base = (board.data?.engineers || []).find((e) => e.id === form.elements.extra_base.value);
    const extra = {
      name: form.elements.extra_name.value.trim(),
      skills: form.elements.extra_skill.value
        ? [{ skill: form.elements.extra_skill.value, level: Number(form.elements.extra_level.value) || 1 }]
        : [],
      home_latitude: base?.home?.latitude,
      home_longitude: base?.home?.longitude,
      time_zone: base?.time_zone || board.data?.time_zone || "UTC",
      starts: form.elements.extra_starts.value,
      ends: form.elements.extra_ends.value,
      weekdays: [0, 1, 2, 3, 4, 5, 6],
    };
    changes.extra_engineers.push(extra);
  }
  const weights = {};
  for (const name of ["travel_per_second", "overtime_per_second", "lateness_multiplier"]) {
    const value = form.elements[name].value;
    if (value !== "") weights[name] = Number(value);
  }
  if (Object.keys(weights).length) changes.policy_weights = weights;
  return changes;
}

export function init(board) {
  const opener = document.getElementById("whatif-open");
  const dialog = document.getElementById("whatif-dialog");
  if (!board.canEdit || !opener || !dialog) return;
  const form = document.getElementById("whatif-form");
  const errors = document.getElementById("whatif-errors");
  const start = document.getElementById("whatif-start");
  const extra = document.getElementById("whatif-extra-fields");
  const panel = createRunPanel(board, "whatif");

  const toggleExtra = () => {
    extra.hidden = !form.elements.extra.checked;
  };
  form.elements.extra.addEventListener("change", toggleExtra);
  toggleExtra();

  wireDialog(dialog, opener, () => {
    fillChoices(form, board);
    if (!panel.running) {
      form.elements.first_day.value = board.filters.start;
      form.elements.days.value = String(board.filters.days);
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (panel.running) return;
    clearErrors(form, errors);
    if (form.elements.extra.checked && !form.elements.extra_base.value) {
      showErrors(form, errors, [
        { field: "changes.extra_engineers[0].home_latitude", message: _("Choose whose home base the contractor starts from.") },
      ]);
      return;
    }
    start.disabled = true;
    const body = { kind: "what_if", ...horizonOf(form, board), changes: changesOf(form, board) };
    const answer = await request("POST", RUNS, body);
    if (!answer.ok) {
      start.disabled = false;
      showErrors(form, errors, problemErrors(answer.body, problemText(answer)));
      return;
    }
    const run = await panel.watch(answer.body);
    start.disabled = false;
    // the published plan as the server measured it when the run started (same keys as the run's)
    const baseline = run.parameters?.baseline_kpis || null;
    if (run.kpis) {
      panel.compare(baseline, run.kpis, _("Nothing was published: the board still shows the published plan."));
      // the answer is below the form: bring it into view and to the screen reader
      const title = document.getElementById("whatif-result-title");
      title.tabIndex = -1;
      title.focus();
    }
  });
}
