// hms page behaviour: idle log-off, keyboard shortcuts, small conveniences. No inline scripts (CSP).
(function () {
  "use strict";
  const body = document.body;

  // Idle log-off. The server ends a session SESSION_COOKIE_AGE after its last request;
  // the page signs out just before that, so the sign-out is recorded and no data stays
  // on an unattended screen. Activity (in any tab: shared through localStorage) pings
  // the server now and then, so someone typing a long form is not signed out.
  if (body.dataset.signedIn) {
    const timeoutMs = parseInt(body.dataset.idleTimeout, 10) * 1000;
    const margin = Math.min(2000, timeoutMs / 10);
    const pingEvery = Math.min(30000, timeoutMs / 3);
    const key = "hms-last-server-touch";
    const touched = () => localStorage.setItem(key, String(Date.now()));
    const lastTouch = () => parseInt(localStorage.getItem(key) || "0", 10);
    touched();
    const onActivity = () => {
      if (Date.now() - lastTouch() > pingEvery) {
        touched();
        fetch(body.dataset.keepaliveUrl, { credentials: "same-origin" });
      }
    };
    ["keydown", "mousedown", "touchstart", "scroll"].forEach((e) =>
      document.addEventListener(e, onActivity, { passive: true }));
    document.addEventListener("htmx:afterRequest", touched);
    const check = () => {
      if (Date.now() - lastTouch() >= timeoutMs - margin) {
        const form = document.getElementById("logout-form");
        if (form) {
          form.querySelector("input[name=reason]").value = "idle";
          form.submit();
        } else {
          location.assign(body.dataset.loginUrl + "?timeout=1");
        }
        return;
      }
      setTimeout(check, Math.min(5000, Math.max(200, margin / 2)));
    };
    setTimeout(check, Math.min(5000, Math.max(200, margin / 2)));
  }

  // Keyboard shortcuts: "/" focuses search, "g x" follows a nav entry, "?" shows help.
  let pending = "";
  document.addEventListener("keydown", (event) => {
    const t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (t.matches("input, textarea, select, [contenteditable]")) return;
    if (event.key === "/") {
      const search = document.querySelector("input[type=search], input[name=q]");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    if (event.key === "?") {
      const dialog = document.getElementById("shortcuts");
      if (dialog) { dialog.showModal(); }
      return;
    }
    const combo = pending ? pending + " " + event.key : event.key;
    const link = document.querySelector(`[data-shortcut="${combo}"]`);
    if (link) { pending = ""; link.click(); return; }
    pending = event.key === "g" ? "g" : "";
  });

  // A select marked data-autosubmit submits its form on change (facility switcher).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) =>
    select.addEventListener("change", () => select.form.submit()));
})();
