// Wording shared by the board's parts (statuses, SLA badges, skills), in the viewer's language.
import { _ } from "../i18n.js";
import { MINUTE } from "./format.js";

const STATUS = {
  open: () => _("Open"),
  scheduled: () => _("Scheduled"),
  dispatched: () => _("Dispatched"),
  started: () => _("Started"),
  done: () => _("Done"),
  on_hold: () => _("On hold"),
  cancelled: () => _("Cancelled"),
};

export function statusName(status) {
  return (STATUS[status] || (() => status))();
}

export function skillsText(skills) {
  return (skills || []).map((s) => _("%(skill)s level %(level)s", { skill: s.skill, level: s.level })).join(", ");
}

export function duration(minutes) {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (!h) return _("%(minutes)s min", { minutes: m });
  if (!m) return _("%(hours)s h", { hours: h });
  return _("%(hours)s h %(minutes)s min", { hours: h, minutes: m });
}

// SLA: on track, or breached (time over), as a short text for a badge
export function slaState(due, now = Date.now()) {
  if (!due) return null;
  const left = Math.round((Date.parse(due) - now) / MINUTE);
  if (left < 0) return { kind: "late", text: _("SLA over by %(time)s", { time: duration(-left) }) };
  if (left < 120) return { kind: "warn", text: _("SLA due in %(time)s", { time: duration(left) }) };
  return { kind: "ok", text: _("SLA due in %(time)s", { time: duration(left) }) };
}
