// Warns two minutes before the idle session ends, and lets the user stay signed in.
// The server is the authority (every request renews the session); this only mirrors it.

const WARN_BEFORE_SECONDS = 120;

export function startSessionTimeoutWarning(warning, csrfToken) {
  const timeoutSeconds = Number(warning.dataset.timeoutSeconds);
  if (!timeoutSeconds) {
    return;
  }
  const countdown = warning.querySelector("[data-countdown]");
  const keepAliveButton = warning.querySelector("[data-keep-alive]");
  let expiresAt = Date.now() + timeoutSeconds * 1000;

  const renew = () => {
    expiresAt = Date.now() + timeoutSeconds * 1000;
    warning.hidden = true;
  };

  const tick = () => {
    const secondsLeft = Math.round((expiresAt - Date.now()) / 1000);
    if (secondsLeft <= 0) {
      window.location.assign(`${warning.dataset.loginUrl}?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    if (secondsLeft <= WARN_BEFORE_SECONDS) {
      const minutes = Math.floor(secondsLeft / 60);
      const seconds = String(secondsLeft % 60).padStart(2, "0");
      countdown.textContent = `${minutes}:${seconds}`;
      if (warning.hidden) {
        warning.hidden = false;
        keepAliveButton.focus();
      }
    }
  };

  keepAliveButton.addEventListener("click", async () => {
    const response = await fetch(warning.dataset.keepAliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken },
      credentials: "same-origin",
    });
    if (response.ok) {
      renew();
    } else {
      window.location.assign(warning.dataset.loginUrl);
    }
  });

  // Any htmx exchange with the server renewed the session too.
  document.body.addEventListener("htmx:afterRequest", renew);
  window.setInterval(tick, 1000);
}
