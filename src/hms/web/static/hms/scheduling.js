// Scheduling pages: the booking box's keys, rows driven from the keyboard, printing.
// No inline scripts (CSP); htmx does the requests, this only adds the keyboard.
(function () {
  "use strict";
  const typing = (el) => el.matches("input, textarea, select, [contenteditable]");

  // Booking: arrow keys move through the doctors and specialties found (their free
  // slots follow), Enter goes to the Book button once the matches are in.
  const who = document.querySelector("[data-booking-who]");
  if (who) {
    let inFlight = false;
    let enterPending = false;
    const book = () => document.getElementById("book-button").focus();
    // The request starts on the box; its answer settles in #options.
    who.addEventListener("htmx:beforeRequest", () => { inFlight = true; });
    const done = () => {
      inFlight = false;
      if (enterPending) { enterPending = false; book(); }
    };
    document.body.addEventListener("htmx:afterSettle", done);
    who.addEventListener("htmx:responseError", done);
    who.addEventListener("htmx:sendError", done);
    who.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const radios = Array.from(document.querySelectorAll("#options [name=choice]"));
        if (!radios.length) return;
        event.preventDefault();
        const at = radios.findIndex((r) => r.checked);
        const next = radios[Math.max(0, Math.min(radios.length - 1, at + (event.key === "ArrowDown" ? 1 : -1)))];
        if (next !== radios[at]) {
          next.checked = true;
          next.dispatchEvent(new Event("change", { bubbles: true }));
        }
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (inFlight) { enterPending = true; } else { book(); }
      }
    });
  }

  // Rows: j/k or the arrow keys move, Enter opens the row's link, and a row's own
  // keys (i check in, x cancel, r reschedule, f finish, l left) act on it.
  const rows = () => Array.from(document.querySelectorAll("[data-rows] [data-row]"));
  const active = () => document.activeElement && document.activeElement.closest("[data-row]");
  const move = (step) => {
    const all = rows();
    if (!all.length) return;
    const at = all.indexOf(active());
    const next = all[at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.max(0, Math.min(all.length - 1, at + step))];
    all.forEach((r) => r.classList.remove("is-active"));
    next.classList.add("is-active");
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const row = active();
    if (event.key === "j" || (event.key === "ArrowDown" && (row || rows().length))) {
      event.preventDefault(); move(1); return;
    }
    if (event.key === "k" || (event.key === "ArrowUp" && row)) {
      event.preventDefault(); move(-1); return;
    }
    if (!row) return;
    if (event.key === "Enter" && event.target === row) {
      const open = row.querySelector("[data-open]");
      if (open) { event.preventDefault(); open.click(); }
      return;
    }
    const action = row.querySelector(`[data-row-key="${event.key}"]`);
    if (action) { event.preventDefault(); event.stopImmediatePropagation(); action.click(); }
  }, true);

  // Inputs marked data-autosubmit (a date) submit their form on change.
  document.querySelectorAll("input[data-autosubmit]").forEach((input) =>
    input.addEventListener("change", () => input.form.requestSubmit()));

  // The slip's Print button.
  document.querySelectorAll("[data-print]").forEach((button) =>
    button.addEventListener("click", () => window.print()));
})();
