// JSON requests of the planner's tools (optimize, what-if, find a slot): the browser session's cookie
// plus the CSRF token on unsafe methods. Answers {ok, status, body}; a problem+json body is returned
// as it is, so the caller can show its `detail`, put its `field` beside the input, or list what
// changed on a 409.
import { csrfToken } from "../csrf.js";
import { _ } from "../i18n.js";

export async function request(method, url, body) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, body: { detail: _("The server could not be reached. Check the connection and try again.") } };
  }
  let data = null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) data = await response.json();
  return { ok: response.ok, status: response.status, body: data || {} };
}

// The message to show for a failed request: the problem's detail (the server's words), or a
// generic sentence when the answer was not a problem document.
export function problemText(answer) {
  return answer.body?.detail || answer.body?.title || _("Something went wrong (HTTP %(status)s).", { status: answer.status });
}
