// The "Print" button on printable pages (inline onclick handlers are not allowed by our CSP).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
