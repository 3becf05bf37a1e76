// Behaviour shared by every page. Plain ES module, no build step.
import { startSessionTimeoutWarning } from "./session-timeout.js";

const csrfToken = document.body.dataset.csrfToken;

// htmx requests carry the CSRF token the page was rendered with.
document.body.addEventListener("htmx:configRequest", (event) => {
  if (csrfToken) {
    event.detail.headers["X-CSRFToken"] = csrfToken;
  }
});

const warning = document.getElementById("session-timeout-warning");
if (warning) {
  startSessionTimeoutWarning(warning, csrfToken);
}
