// One optimization run followed live inside a dialog (optimize and what-if share it): the status
// line, a small SVG line chart of the best objective over the seconds of the search, Cancel, and
// at the end the run's KPIs side by side with the published plan's. Progress comes from polling
// GET /runs/{id} every second, and sooner when the live stream's `run` event names this run.
// The KPIs are shown as the server computed them; nothing is recomputed here.
import { _, locale } from "../i18n.js";
import { problemText, request } from "./tools-http.js";

const RUNS = "/api/v1/dispatch/runs";
const POLL_MS = 1000;
export const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const SVG = "http://www.w3.org/2000/svg";

export function statusText(status) {
  const texts = {
    queued: _("Waiting for a free solver…"),
    running: _("Searching for a better plan…"),
    succeeded: _("Finished."),
    failed: _("The run failed."),
    cancelled: _("Cancelled; the best plan found until then is kept."),
  };
  return texts[status] || status;
}

function number(value, options = {}) {
  return new Intl.NumberFormat(locale(), options).format(value);
}

export function duration(seconds) {
  const minutes = Math.round((seconds || 0) / 60);
  if (minutes < 120) return number(minutes, { style: "unit", unit: "minute", unitDisplay: "short" });
  return number(minutes / 60, { style: "unit", unit: "hour", unitDisplay: "short", maximumFractionDigits: 1 });
}

// The measures shown side by side: a label and how to read the value from a KPI object.
function measures() {
  const rows = [
    [_("Travel time"), (k) => duration(k.travel_seconds)],
    [_("Travel distance"), (k) => number((k.travel_metres || 0) / 1000, { style: "unit", unit: "kilometer", maximumFractionDigits: 0 })],
    [_("Overtime"), (k) => duration(k.overtime_seconds)],
    [_("Tasks late"), (k) => number(k.tasks_late || 0)],
    [_("Total lateness"), (k) => duration(k.late_seconds)],
    [_("Tasks planned"), (k) => number(k.tasks_assigned || 0)],
  ];
  for (const priority of ["P1", "P2", "P3", "P4"]) {
    rows.push([
      _("Unassigned %(priority)s", { priority }),
      (k) => number((k.unassigned_by_priority || {})[priority] || 0),
    ]);
  }
  rows.push([_("Utilisation"), (k) => number(k.utilization ?? k.utilisation ?? 0, { style: "percent", maximumFractionDigits: 0 })]);
  return rows;
}

export function createRunPanel(board, prefix) {
  const panel = document.getElementById(`${prefix}-run`);
  const status = document.getElementById(`${prefix}-run-status`);
  const chart = document.getElementById(`${prefix}-run-chart`);
  const cancel = document.getElementById(`${prefix}-cancel`);
  const result = document.getElementById(`${prefix}-result`);
  const table = document.getElementById(`${prefix}-compare`);
  const note = document.getElementById(`${prefix}-result-note`);
  let current = null; // {run, timer, resolve}

  // seconds since the search started: the best so far holds until now (or until the run ended)
  function elapsed(run) {
    if (!run.started_at) return 0;
    const end = run.finished_at ? Date.parse(run.finished_at) : Date.now();
    return Math.max(0, (end - Date.parse(run.started_at)) / 1000);
  }

  function drawChart(points, until) {
    chart.replaceChildren();
    const width = 320, height = 120, left = 8, right = 8, top = 10, bottom = 22;
    const axis = document.createElementNS(SVG, "path");
    axis.setAttribute("d", `M${left},${top} V${height - bottom} H${width - right}`);
    axis.setAttribute("class", "run-chart__axis");
    chart.append(axis);
    if (!points.length) return;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const xMax = Math.max(...xs, until, 1);
    const yMin = Math.min(...ys), yMax = Math.max(...ys);
    const x = (s) => left + ((width - left - right) * s) / xMax;
    const y = (o) => (yMax === yMin ? (top + height - bottom) / 2 : top + ((height - top - bottom) * (yMax - o)) / (yMax - yMin));
    // the best so far only changes when a better plan is found: a step line
    let d = `M${x(xs[0]).toFixed(1)},${y(ys[0]).toFixed(1)}`;
    for (let i = 1; i < points.length; i += 1) d += ` H${x(xs[i]).toFixed(1)} V${y(ys[i]).toFixed(1)}`;
    d += ` H${x(Math.max(until, xs[xs.length - 1])).toFixed(1)}`;
    const line = document.createElementNS(SVG, "path");
    line.setAttribute("d", d);
    line.setAttribute("class", "run-chart__line");
    chart.append(line);
    const last = points[points.length - 1];
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", x(last[0]).toFixed(1));
    dot.setAttribute("cy", y(last[1]).toFixed(1));
    dot.setAttribute("r", "3");
    dot.setAttribute("class", "run-chart__dot");
    chart.append(dot);
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", String(width - right));
    label.setAttribute("y", String(height - 6));
    label.setAttribute("text-anchor", "end");
    label.setAttribute("class", "run-chart__label");
    label.textContent = _("%(seconds)s s", { seconds: number(Math.max(until, last[0]), { maximumFractionDigits: 1 }) });
    chart.append(label);
    // the first and the best cost found, at the top and the bottom of the scale
    for (const [value, atY, anchor] of [[yMax, top + 8, "start"], [yMin, height - bottom - 3, "start"]]) {
      const tick = document.createElementNS(SVG, "text");
      tick.setAttribute("x", String(left + 4));
      tick.setAttribute("y", String(atY));
      tick.setAttribute("text-anchor", anchor);
      tick.setAttribute("class", "run-chart__label");
      tick.textContent = number(value);
      chart.append(tick);
      if (yMax === yMin) break;
    }
  }

  function show(run) {
    const points = run.progress || [];
    drawChart(points, elapsed(run));
    let text = statusText(run.status);
    if (points.length) {
      const [seconds, best] = points[points.length - 1];
      text += " " + _("Best plan cost %(cost)s after %(seconds)s s.", {
        cost: number(best),
        seconds: number(seconds, { maximumFractionDigits: 1 }),
      });
    }
    if (run.status === "failed" && run.error) text += " " + run.error;
    status.textContent = text;
    cancel.hidden = FINISHED.has(run.status);
  }

  async function poll() {
    if (!current) return;
    const watched = current;
    clearTimeout(watched.timer);
    const answer = await request("GET", `${RUNS}/${watched.run.id}`);
    if (current !== watched) return;
    if (answer.ok) {
      watched.run = answer.body;
      show(answer.body);
      if (FINISHED.has(answer.body.status)) {
        current = null;
        watched.resolve(answer.body);
        return;
      }
    } else {
      status.textContent = problemText(answer);
    }
    watched.timer = setTimeout(poll, POLL_MS);
  }

  cancel.addEventListener("click", async () => {
    if (!current) return;
    cancel.disabled = true;
    status.textContent = _("Cancelling…");
    const answer = await request("POST", `${RUNS}/${current.run.id}/cancel`, {});
    cancel.disabled = false;
    // 409 run_finished: it ended meanwhile; the next poll shows how
    if (!answer.ok && answer.status !== 409) status.textContent = problemText(answer);
    poll();
  });

  // the live stream (when there is one) tells as soon as the run found something better
  board.on("run", (detail) => {
    if (current && detail && detail.run_id === current.run.id) poll();
  });

  return {
    get running() {
      return current !== null;
    },
    reset() {
      if (current) clearTimeout(current.timer);
      current = null;
      panel.hidden = true;
      result.hidden = true;
      table.tBodies[0].replaceChildren();
      note.textContent = "";
      chart.replaceChildren();
      status.textContent = "";
    },
    // Follows the run until it ends; resolves with the finished run.
    watch(run) {
      this.reset();
      panel.hidden = false;
      show(run);
      return new Promise((resolve) => {
        current = { run, timer: null, resolve };
        current.timer = setTimeout(poll, POLL_MS);
      });
    },
    compare(published, kpis, text = "") {
      const body = table.tBodies[0];
      body.replaceChildren();
      for (const [label, read] of measures()) {
        const row = body.insertRow();
        const head = document.createElement("th");
        head.scope = "row";
        head.textContent = label;
        row.append(head);
        for (const source of [published, kpis]) {
          const cell = row.insertCell();
          cell.className = "num";
          cell.textContent = source ? read(source) : "—";
        }
      }
      note.textContent = text;
      result.hidden = false;
    },
  };
}
