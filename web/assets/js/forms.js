// Forms with errors (web/templates/partials/form.html): the first invalid field takes the focus
// (the server also marks it `autofocus`, so this works without JavaScript on a full page; here it
// is redone after an HTMX swap), or the error summary when the error is about the whole form.
// A summary link focuses its field and scrolls its label into view, as GOV.UK's summary does.

export function focusFirstError(root = document) {
  const field = root.querySelector('[aria-invalid="true"]');
  if (field) {
    field.focus();
    return;
  }
  const summary = root.querySelector("[data-error-summary]");
  if (summary) summary.focus();
}

function followSummaryLink(event) {
  const link = event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) return;
  const target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target || !target.matches("input, select, textarea, button")) return;
  event.preventDefault();
  const label = document.querySelector(`label[for="${CSS.escape(target.id)}"]`);
  (label || target).scrollIntoView({ block: "start" });
  target.focus({ preventScroll: true });
}

export function enhanceForms() {
  if (!document.activeElement || document.activeElement === document.body) focusFirstError();
  document.addEventListener("click", followSummaryLink);
  document.body.addEventListener("htmx:afterSwap", (event) => focusFirstError(event.detail.target));
}
