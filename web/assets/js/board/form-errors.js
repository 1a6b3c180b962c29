// Errors next to the field, and a summary at the top linking to each (UI.md): a problem+json
// `field` (a dotted path like "changes.sick[0].engineer_id") finds the input whose data-field names
// it; a problem without a field, or one no input matches, is listed in the summary only.
import { _ } from "../i18n.js";

export function clearErrors(form, summary) {
  for (const message of form.querySelectorAll(".field__error")) message.remove();
  for (const field of form.querySelectorAll(".field--error")) field.classList.remove("field--error");
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.endsWith("-error"));
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
  }
  summary.hidden = true;
  summary.querySelector("ul").replaceChildren();
}

function inputFor(form, field) {
  if (!field) return null;
  // the exact path, else its closest parent path ("changes.sick[0].last_day" -> the sick select)
  let path = field;
  while (path) {
    const input = form.querySelector(`[data-field="${CSS.escape(path)}"]`);
    if (input) return input;
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    path = cut > 0 ? path.slice(0, cut) : "";
  }
  return null;
}

export function showErrors(form, summary, errors) {
  clearErrors(form, summary);
  const list = summary.querySelector("ul");
  for (const { field, message } of errors) {
    const input = inputFor(form, field);
    const item = document.createElement("li");
    if (input) {
      const id = `${input.id}-error`;
      const note = document.createElement("p");
      note.className = "field__error";
      note.id = id;
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = _("Error:") + " ";
      note.append(hidden, message);
      const wrapper = input.closest(".field") || input.parentElement;
      wrapper.classList.add("field--error");
      input.before(note);
      input.setAttribute("aria-invalid", "true");
      const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      input.setAttribute("aria-describedby", [...described, id].join(" "));
      const link = document.createElement("a");
      link.href = `#${input.id}`;
      link.textContent = message;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        input.focus();
      });
      item.append(link);
    } else {
      item.textContent = message;
    }
    list.append(item);
  }
  summary.hidden = errors.length === 0;
  if (errors.length) summary.focus();
}

// The problem's errors: its field and detail, or several in `errors` when the API lists them.
export function problemErrors(body, fallback) {
  if (Array.isArray(body?.errors) && body.errors.length) {
    return body.errors.map((e) => ({ field: e.field || e.key || null, message: e.message || e.detail || fallback }));
  }
  return [{ field: body?.field || null, message: body?.detail || fallback }];
}
