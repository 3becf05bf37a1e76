// A sticky bar of buttons at the bottom (.sticky-actions) never hides the field that has the focus
// (WCAG 2.4.11). Button-style radios (Bootstrap's btn-check) are drawn by their label, so the label is
// what must be in view. Plain ES module, no build step.
const bar = document.querySelector(".sticky-actions");

if (bar) {
  document.addEventListener("focusin", (event) => {
    const element = event.target;
    if (bar.contains(element)) return;
    const drawn = element.classList.contains("btn-check")
      ? document.querySelector(`label[for="${CSS.escape(element.id)}"]`) || element
      : element;
    // After the browser's own scrolling to the focused element, which may come after this event.
    requestAnimationFrame(() => {
      // scroll-padding-bottom on the page (app.css) keeps the bar's height clear.
      if (drawn.getBoundingClientRect().bottom > bar.getBoundingClientRect().top) {
        drawn.scrollIntoView({ block: "nearest", behavior: "instant" });
      }
    });
  });
}
