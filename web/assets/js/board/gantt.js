// The Gantt: one row per engineer (name, territory, utilisation), time across the window in the
// board's time zone; shifts on a greyed lane, lunches, absences, travel before each visit, task
// blocks by priority (border + "P1" text) and status (fill), SLA due marks, late and pinned work.
// Rows are virtualised: only the rows in view (plus a margin) are in the DOM, so 100 engineers
// with 1000 tasks scroll smoothly. Blocks are buttons: Enter selects, arrow keys walk the plan.
import { _ } from "../i18n.js";
import { HOUR, MINUTE, dateTime, day, hour, percent, time } from "./format.js";
import { badge, el, place } from "./dom.js";
import { duration, skillsText, statusName } from "./words.js";

const ROW_HEIGHT = 52;
const OVERSCAN = 6;
const PX_PER_HOUR = { 1: 64, 3: 28, 7: 14 };
const SNAP = 15 * MINUTE;

export function init(board) {
  const host = document.getElementById("gantt");
  if (!host) return;
  const narrow = window.matchMedia("(max-width: 767px)");

  const view = {
    start: 0,
    end: 0,
    zone: "UTC",
    pxPerHour: 64,
    nameWidth: 200,
    engineers: [],
    byEngineer: new Map(), // engineer id -> assignments, by start
    rows: new Map(), // index -> rendered row element
    key: "", // window and scale of the last render
    first: 0,
    last: -1,
  };
  let scroller = null;
  let rowsHost = null;
  let firstRender = true;
  let frame = 0;

  const geometry = {
    x: (ms) => ((ms - view.start) / HOUR) * view.pxPerHour,
    at: (x) => view.start + (x / view.pxPerHour) * HOUR,
    snap: (ms) => view.start + Math.round((ms - view.start) / SNAP) * SNAP,
    get zone() {
      return view.zone;
    },
    get start() {
      return view.start;
    },
    get end() {
      return view.end;
    },
    // the time under a pointer over a lane, snapped to 15 minutes and kept inside the window
    timeAt(lane, clientX, offsetPx = 0) {
      const x = clientX - lane.getBoundingClientRect().left - offsetPx;
      const snapped = geometry.snap(geometry.at(x));
      return Math.min(Math.max(snapped, view.start), view.end - SNAP);
    },
    laneOf(engineerId) {
      return rowsHost?.querySelector(`.gantt__row[data-engineer-id="${CSS.escape(engineerId)}"] .gantt__lane`) || null;
    },
  };
  board.gantt = geometry;

  board.on("loading", () => {
    board.root.dataset.state = board.data ? "refreshing" : "loading";
  });
  board.on("loaded", (data) => render(data));
  board.on("unchanged", () => {
    board.root.dataset.state = "ready";
  });
  board.on("load-failed", () => {
    board.root.dataset.state = board.data ? "ready" : "failed";
  });
  board.on("selected", () => markSelection());
  narrow.addEventListener("change", () => board.data && render(board.data));

  function render(data) {
    view.start = Date.parse(data.start);
    view.end = Date.parse(data.end);
    view.zone = data.time_zone || "UTC";
    // the answer's window decides the scale (a DST day is 23 or 25 hours: still one day)
    const days = Math.round((view.end - view.start) / (24 * HOUR));
    view.pxPerHour = PX_PER_HOUR[days] || PX_PER_HOUR[board.filters.days] || PX_PER_HOUR[1];
    view.nameWidth = narrow.matches ? 112 : 200;
    view.engineers = data.engineers;
    view.byEngineer = new Map(data.engineers.map((e) => [e.id, []]));
    for (const a of data.assignments) {
      for (const id of a.engineer_ids) view.byEngineer.get(id)?.push(a);
    }
    for (const list of view.byEngineer.values()) list.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));

    // a refetch of the same window keeps the scroll position; another window starts at the work
    const sameWindow = view.key === `${data.start}|${data.end}|${view.pxPerHour}|${view.nameWidth}`;
    view.key = `${data.start}|${data.end}|${view.pxPerHour}|${view.nameWidth}`;
    const keepTop = scroller?.scrollTop || 0;
    const keepLeft = sameWindow ? scroller?.scrollLeft : undefined;
    const hadFocus = host.contains(document.activeElement) ? document.activeElement.dataset.taskId : null;
    host.replaceChildren(frameFor(data));
    view.rows = new Map();
    view.first = 0;
    view.last = -1;
    scroller.scrollTop = keepTop;
    if (keepLeft !== undefined) scroller.scrollLeft = keepLeft;
    else scrollToWorkStart();
    paint();
    if (hadFocus) rowsHost.querySelector(`.gantt__block[data-task-id="${CSS.escape(hadFocus)}"]`)?.focus();
    board.root.dataset.state = "ready";
    if (firstRender) {
      firstRender = false;
      performance.mark("board-rendered");
    }
    board.emit("rendered");
  }

  function frameFor(data) {
    const width = geometry.x(view.end);
    const wrap = el("div", "gantt");
    wrap.style.setProperty("--hour", `${view.pxPerHour}px`);
    wrap.style.setProperty("--name-w", `${view.nameWidth}px`);
    wrap.style.setProperty("--row-h", `${ROW_HEIGHT}px`);
    wrap.style.setProperty("--lane-w", `${width}px`);

    const caption = el("p", "gantt__caption");
    caption.id = "gantt-caption";
    caption.textContent = _("%(count)s engineers, %(from)s to %(to)s, times in %(zone)s", {
      count: data.engineers.length,
      from: dateTime(view.start, view.zone),
      to: dateTime(view.end, view.zone),
      zone: view.zone,
    });

    scroller = el("div", "gantt__scroll");
    scroller.tabIndex = 0;
    scroller.setAttribute("role", "region");
    scroller.setAttribute("aria-labelledby", "gantt-caption");
    const canvas = el("div", "gantt__canvas");
    canvas.style.width = `${view.nameWidth + width}px`;
    canvas.append(axis(width));
    rowsHost = el("div", "gantt__rows");
    rowsHost.setAttribute("role", "list");
    rowsHost.setAttribute("aria-label", _("Engineers"));
    rowsHost.style.height = `${data.engineers.length * ROW_HEIGHT}px`;
    canvas.append(rowsHost);
    scroller.append(canvas);
    if (!data.engineers.length) {
      const empty = el("p", "gantt__empty", _("No engineer matches these filters."));
      scroller.append(empty);
    }
    scroller.addEventListener("scroll", () => {
      if (!frame) frame = requestAnimationFrame(() => ((frame = 0), paint()));
    });
    rowsHost.addEventListener("click", onClick);
    rowsHost.addEventListener("keydown", onKey);
    wrap.append(caption, scroller);
    return wrap;
  }

  function axis(width) {
    const head = el("div", "gantt__axis");
    head.setAttribute("aria-hidden", "true");
    head.append(el("div", "gantt__corner", _("Engineer")));
    const ticks = el("div", "gantt__ticks");
    ticks.style.width = `${width}px`;
    const every = view.pxPerHour >= 40 ? 1 : view.pxPerHour >= 20 ? 3 : 6;
    for (let t = view.start, n = 0; t < view.end; t += HOUR, n += 1) {
      const label = hour(t, view.zone);
      if (label === "00" || label === "24" || t === view.start) {
        ticks.append(place(el("span", "gantt__day", day(t, view.zone)), geometry.x(t)));
      }
      if (n % every === 0) ticks.append(place(el("span", "gantt__tick", time(t, view.zone)), geometry.x(t)));
    }
    const now = Date.now();
    if (now > view.start && now < view.end) ticks.append(place(el("span", "gantt__now-mark", _("Now")), geometry.x(now)));
    head.append(ticks);
    return head;
  }

  // virtualisation: add the rows that came into view, drop the ones that left it
  function paint() {
    if (!scroller) return;
    const axisHeight = scroller.querySelector(".gantt__axis")?.offsetHeight || 0;
    const top = Math.max(0, scroller.scrollTop - axisHeight);
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(view.engineers.length - 1, Math.ceil((top + scroller.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    for (const [index, row] of view.rows) {
      if (index < first || index > last) {
        if (row.contains(document.activeElement)) continue; // never drop the focused block
        row.remove();
        view.rows.delete(index);
      }
    }
    const fragment = document.createDocumentFragment();
    for (let index = first; index <= last; index += 1) {
      if (!view.rows.has(index)) {
        const row = rowFor(index);
        view.rows.set(index, row);
        fragment.append(row);
      }
    }
    rowsHost.append(fragment);
    view.first = first;
    view.last = last;
  }

  function rowFor(index) {
    const engineer = view.engineers[index];
    const row = el("div", "gantt__row");
    row.setAttribute("role", "listitem");
    row.dataset.engineerId = engineer.id;
    row.dataset.index = String(index);
    row.style.top = `${index * ROW_HEIGHT}px`;

    const who = el("div", "gantt__who");
    who.append(el("span", "gantt__name", engineer.name));
    const meta = el("span", "gantt__meta");
    const use = percent(engineer.utilisation || 0);
    meta.textContent = engineer.territory
      ? _("%(territory)s · %(share)s planned", { territory: engineer.territory, share: use })
      : _("%(share)s planned", { share: use });
    who.append(meta);
    const bar = el("span", "gantt__use");
    const fill = el("span", "gantt__use-fill");
    fill.style.width = `${Math.min(1, engineer.utilisation || 0) * 100}%`;
    if ((engineer.utilisation || 0) > 1) fill.classList.add("is-over");
    bar.append(fill);
    who.append(bar);

    const lane = el("div", "gantt__lane");
    lane.dataset.engineerId = engineer.id;
    lane.setAttribute("aria-label", _("Plan of %(name)s", { name: engineer.name }));
    lane.setAttribute("role", "group");
    for (const s of engineer.shifts || []) lane.append(span("gantt__shift", s.start, s.end));
    for (const l of engineer.lunches || []) {
      const lunch = span("gantt__lunch", l.start, l.end);
      lunch.title = _("Lunch %(from)s–%(to)s", { from: time(l.start, view.zone), to: time(l.end, view.zone) });
      lane.append(lunch);
    }
    for (const a of engineer.absences || []) {
      const absence = span("gantt__absence", a.start, a.end);
      absence.textContent = a.reason ? _("Absent: %(reason)s", { reason: a.reason }) : _("Absent");
      lane.append(absence);
    }
    for (const a of view.byEngineer.get(engineer.id) || []) {
      if (a.travel_minutes > 0) {
        const from = Date.parse(a.start) - a.travel_minutes * MINUTE;
        const travel = span("gantt__travel", from, a.start);
        travel.title = _("Travel %(time)s", { time: duration(a.travel_minutes) });
        lane.append(travel);
      }
      lane.append(block(a, engineer));
      if (a.sla_due) {
        const due = Date.parse(a.sla_due);
        if (due >= view.start && due <= view.end) {
          const mark = place(el("span", `gantt__sla${Date.parse(a.end) > due ? " is-breached" : ""}`), geometry.x(due));
          mark.title = _("SLA due %(time)s for %(number)s", { time: time(due, view.zone), number: a.work_order_number });
          lane.append(mark);
        }
      }
    }
    row.append(who, lane);
    return row;
  }

  function span(className, start, end) {
    const ms = (value) => (typeof value === "number" ? value : Date.parse(value));
    const from = Math.max(ms(start), view.start);
    const to = Math.min(ms(end), view.end);
    return place(el("span", className), geometry.x(from), Math.max(0, geometry.x(to) - geometry.x(from)));
  }

  function block(a, engineer) {
    const start = Date.parse(a.start);
    const end = Date.parse(a.end);
    const left = geometry.x(Math.max(start, view.start));
    const width = Math.max(8, geometry.x(Math.min(end, view.end)) - left);
    const classes = [
      "gantt__block",
      `gantt__block--${(a.priority || "P4").toLowerCase()}`,
      `gantt__block--${a.status}`,
      a.late ? "is-late" : "",
      a.pinned ? "is-pinned" : "",
    ];
    const button = place(el("button", classes.filter(Boolean).join(" ")), left, width);
    button.type = "button";
    button.dataset.taskId = a.task_id;
    button.dataset.engineerId = engineer.id;
    button.draggable = board.canEdit && !["started", "done"].includes(a.status);
    button.setAttribute("aria-pressed", "false");
    const facts = [
      `${a.priority} ${a.work_order_number} ${a.name}`, // starts with the visible text (WCAG 2.5.3)
      a.customer_name,
      `${time(start, view.zone)}–${time(end, view.zone)}`,
      statusName(a.status),
    ];
    if (a.late) facts.push(_("late"));
    if (a.pinned) facts.push(_("pinned"));
    if (a.engineer_names.length > 1) facts.push(_("crew: %(names)s", { names: a.engineer_names.join(", ") }));
    if (a.sla_due) facts.push(_("SLA due %(time)s", { time: dateTime(a.sla_due, view.zone) }));
    if (a.skills?.length) facts.push(skillsText(a.skills));
    button.setAttribute("aria-label", facts.filter(Boolean).join(", "));
    button.title = facts.filter(Boolean).join("\n");
    if (a.pinned) button.append(el("span", "gantt__pin"));
    button.append(el("span", "gantt__prio", a.priority), document.createTextNode(" "));
    button.append(el("span", "gantt__label", `${a.work_order_number} ${a.name}`));
    return button;
  }

  function onClick(event) {
    const target = event.target.closest(".gantt__block");
    if (!target) return;
    const task = board.data.assignments.find((a) => a.task_id === target.dataset.taskId);
    if (task) board.select({ kind: "assignment", task, engineerId: target.dataset.engineerId });
  }

  // arrow keys: left/right within a row, up/down to the nearest block in the next row with work
  function onKey(event) {
    const current = event.target.closest(".gantt__block");
    if (!current || !["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) return;
    event.preventDefault();
    const row = current.closest(".gantt__row");
    const blocks = [...row.querySelectorAll(".gantt__block")];
    const at = blocks.indexOf(current);
    if (event.key === "ArrowLeft") return blocks[Math.max(0, at - 1)].focus();
    if (event.key === "ArrowRight") return blocks[Math.min(blocks.length - 1, at + 1)].focus();
    if (event.key === "Home") return blocks[0].focus();
    if (event.key === "End") return blocks[blocks.length - 1].focus();
    const step = event.key === "ArrowDown" ? 1 : -1;
    const when = Date.parse(board.data.assignments.find((a) => a.task_id === current.dataset.taskId)?.start || 0);
    for (let index = Number(row.dataset.index) + step; index >= 0 && index < view.engineers.length; index += step) {
      const list = view.byEngineer.get(view.engineers[index].id) || [];
      if (!list.length) continue;
      focusRow(index, when);
      return;
    }
  }

  function focusRow(index, when) {
    const axisHeight = scroller.querySelector(".gantt__axis")?.offsetHeight || 0;
    const top = index * ROW_HEIGHT;
    const visibleTop = scroller.scrollTop;
    const visibleBottom = visibleTop + scroller.clientHeight - axisHeight - ROW_HEIGHT;
    if (top < visibleTop) scroller.scrollTop = top;
    else if (top > visibleBottom) scroller.scrollTop = top - scroller.clientHeight + axisHeight + ROW_HEIGHT;
    paint();
    const row = view.rows.get(index);
    const blocks = [...row.querySelectorAll(".gantt__block")];
    const nearest = blocks.reduce((best, b) => {
      const d = Math.abs(Date.parse(board.data.assignments.find((a) => a.task_id === b.dataset.taskId).start) - when);
      return !best || d < best.d ? { b, d } : best;
    }, null);
    nearest?.b.focus();
  }

  function markSelection() {
    if (!rowsHost) return;
    const id = board.selected?.kind === "assignment" ? board.selected.task.task_id : null;
    for (const b of rowsHost.querySelectorAll(".gantt__block")) {
      b.setAttribute("aria-pressed", b.dataset.taskId === id ? "true" : "false");
    }
  }

  // the first render shows the working day, not midnight
  function scrollToWorkStart() {
    const starts = view.engineers.flatMap((e) => (e.shifts || []).map((s) => Date.parse(s.start)));
    const first = starts.length ? Math.min(...starts) : view.start + 7 * HOUR;
    scroller.scrollLeft = Math.max(0, geometry.x(first) - view.pxPerHour);
  }

  // other parts (a refused move) point at a block: bring its row into view and mark it
  board.showBlock = (taskId, engineerId, className) => {
    const index = view.engineers.findIndex((e) => e.id === engineerId);
    if (index < 0) return null;
    focusRow(index, Date.parse(board.data.assignments.find((a) => a.task_id === taskId)?.start || 0));
    const target = rowsHost.querySelector(
      `.gantt__row[data-engineer-id="${CSS.escape(engineerId)}"] .gantt__block[data-task-id="${CSS.escape(taskId)}"]`,
    );
    if (target && className) target.classList.add(className);
    return target;
  };
  board.markSelection = markSelection;
  board.rerender = () => board.data && render(board.data);
}
