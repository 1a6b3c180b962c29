// The CSRF token of the browser session: the page carries it in a meta tag (the cookie is also
// readable, but its name depends on whether the deployment uses the __Host- prefix).
export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}
