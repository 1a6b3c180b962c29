// Times and money for the board: drawn in the board's time zone, written in the viewer's locale
// (the page's <html lang>), through Intl so no library is needed.
import { locale } from "../i18n.js";

const cache = new Map();

function formatter(key, make) {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key);
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function time(value, zone) {
  const f = formatter(`t|${zone}`, () =>
    new Intl.DateTimeFormat(locale(), { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
  );
  return f.format(new Date(value));
}

export function hour(value, zone) {
  const f = formatter(`h|${zone}`, () =>
    new Intl.DateTimeFormat(locale(), { timeZone: zone, hour: "2-digit", hourCycle: "h23" }),
  );
  return f.format(new Date(value));
}

export function day(value, zone) {
  const f = formatter(`d|${zone}`, () =>
    new Intl.DateTimeFormat(locale(), { timeZone: zone, weekday: "short", day: "numeric", month: "short" }),
  );
  return f.format(new Date(value));
}

export function dateTime(value, zone) {
  const f = formatter(`dt|${zone}`, () =>
    new Intl.DateTimeFormat(locale(), {
      timeZone: zone,
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }),
  );
  return f.format(new Date(value));
}

export function money(value) {
  if (!value) return "";
  const f = formatter(`m|${value.currency}`, () =>
    new Intl.NumberFormat(locale(), { style: "currency", currency: value.currency }),
  );
  return f.format(Number(value.amount));
}

export function percent(share) {
  const f = formatter("pct", () => new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 0 }));
  return f.format(share);
}

// The wall-clock parts of an instant in a zone: {year, month, day, hour, minute}.
function partsIn(ms, zone) {
  const f = formatter(`p|${zone}`, () =>
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }),
  );
  const parts = {};
  for (const { type, value } of f.formatToParts(new Date(ms))) parts[type] = Number(value);
  return parts;
}

function offsetAt(ms, zone) {
  const p = partsIn(ms, zone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - Math.floor(ms / MINUTE) * MINUTE;
}

// "2026-12-08" + "09:15" in Europe/Berlin -> the UTC instant (ms). Two passes settle DST edges.
export function zonedToUtc(date, clock, zone) {
  const [y, m, d] = date.split("-").map(Number);
  const [h, mi] = clock.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, h, mi);
  let guess = wall - offsetAt(wall, zone);
  guess = wall - offsetAt(guess, zone);
  return guess;
}

// The instant's date ("YYYY-MM-DD") and time ("HH:MM") in the zone, for date/time inputs.
export function utcToZoned(ms, zone) {
  const p = partsIn(ms, zone);
  const pad = (n) => String(n).padStart(2, "0");
  return { date: `${p.year}-${pad(p.month)}-${pad(p.day)}`, time: `${pad(p.hour)}:${pad(p.minute)}` };
}

export function iso(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
