// Small DOM helpers: elements are built with the DOM API (no HTML strings, so no escaping to get
// wrong), and positions are set through CSSOM, which the CSP (style-src 'self') allows.
export function el(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

export function place(node, left, width) {
  node.style.left = `${left}px`;
  if (width !== undefined) node.style.width = `${width}px`;
  return node;
}

export function badge(priority) {
  const level = /^P[1-4]$/.test(priority) ? priority.toLowerCase() : "p4";
  return el("span", `badge badge--${level}`, priority);
}
