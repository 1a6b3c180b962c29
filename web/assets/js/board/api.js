// The board's calls to the dispatch API (contract: prompts/board-contract.md). Unsafe requests
// carry the session's CSRF token; errors come back as ApiError with the problem+json body, so a
// part can show a 422's violations or a 409's "who changed what".
import { csrfToken } from "../csrf.js";

const BASE = "/api/v1/dispatch";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

async function request(method, url, body, signal) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null; // a proxy's HTML error page: the status says enough
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export function boardQuery(filters) {
  const query = new URLSearchParams({ start: filters.start, days: String(filters.days), sort: filters.sort });
  if (filters.territory) query.set("territory", filters.territory);
  if (filters.skill) query.set("skill", filters.skill);
  return query;
}

export const api = {
  board: (filters, signal) => request("GET", `${BASE}/board?${boardQuery(filters)}`, undefined, signal),
  move: (move) => request("POST", `${BASE}/moves`, move),
  pin: (taskId, version) => request("POST", `${BASE}/tasks/${taskId}/pin`, { version }),
  unpin: (taskId, version) => request("POST", `${BASE}/tasks/${taskId}/unpin`, { version }),
  explanation: (taskId) => request("GET", `${BASE}/tasks/${taskId}/explanation`),
  insertions: (taskId, days = 2) => request("POST", `${BASE}/insertions`, { task_id: taskId, days, limit: 5 }),
};
