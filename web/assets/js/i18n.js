// Translations for JavaScript modules: the page embeds the current locale's strings as JSON
// (<script type="application/json" id="i18n-messages">, data, not code, so the CSP allows it).
// Strings are marked with _("...") so `make messages` (Babel) extracts them from the sources.
let messages = null;

function load() {
  if (messages === null) {
    const element = document.getElementById("i18n-messages");
    messages = element ? JSON.parse(element.textContent) : {};
  }
  return messages;
}

export function _(message, values = {}) {
  const text = load()[message] || message;
  return text.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name] ?? ""));
}

export function locale() {
  return document.documentElement.lang || "en";
}
