// Every page: HTMX for forms and lists, the CSRF token on HTMX's unsafe requests, the phone menu.
import htmx from "htmx.org";
import { csrfToken } from "./csrf.js";
import { enhanceForms } from "./forms.js";

window.htmx = htmx;

document.body.addEventListener("htmx:configRequest", (event) => {
  const token = csrfToken();
  if (token) event.detail.headers["X-CSRF-Token"] = token;
});

// Below 768 px the navigation folds into a menu button; without JavaScript it stays open.
// The user's controls (language, sign-out) fold with it into the top bar's open state.
const toggle = document.querySelector("[data-nav-toggle]");
const nav = document.getElementById("site-nav");
const topbar = document.querySelector(".topbar");
if (toggle && nav) {
  toggle.hidden = false;
  nav.classList.add("nav--collapsible");
  topbar?.classList.add("topbar--collapsible");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", String(!open));
    nav.classList.toggle("nav--open", !open);
    topbar?.classList.toggle("topbar--open", !open);
  });
}

enhanceForms();
