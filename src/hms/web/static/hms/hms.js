// hms page behaviour: idle log-off, keyboard shortcuts, small conveniences. No inline scripts (CSP).
(function () {
  "use strict";
  const body = document.body;

  // Idle log-off. Activity in any tab counts (shared through localStorage); after the
  // timeout the page signs out, so an unattended screen does not keep showing data.
  // The server ends the session at the same time regardless.
  if (body.dataset.signedIn) {
    const timeoutMs = parseInt(body.dataset.idleTimeout, 10) * 1000;
    const key = "hms-last-activity";
    const touch = () => localStorage.setItem(key, String(Date.now()));
    touch();
    ["keydown", "mousedown", "touchstart", "scroll"].forEach((e) =>
      document.addEventListener(e, touch, { passive: true }));
    document.addEventListener("htmx:afterRequest", touch);
    const check = () => {
      const last = parseInt(localStorage.getItem(key) || "0", 10);
      if (Date.now() - last >= timeoutMs) {
        const form = document.getElementById("logout-form");
        if (form) {
          form.querySelector("input[name=reason]").value = "idle";
          form.submit();
        } else {
          location.assign(body.dataset.loginUrl + "?timeout=1");
        }
        return;
      }
      setTimeout(check, Math.min(5000, Math.max(250, timeoutMs / 4)));
    };
    setTimeout(check, Math.min(5000, Math.max(250, timeoutMs / 4)));
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
