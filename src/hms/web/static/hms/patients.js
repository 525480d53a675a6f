// Front desk: the patient search box's keys, and links that put the cursor in a field.
// No inline scripts (CSP); htmx does the requests, this only adds the keyboard.
(function () {
  "use strict";

  // Search box: the arrow keys move through the live results, Enter opens the chosen
  // one (or the registration form when nothing matched), Esc leaves the box so the
  // page's one-letter shortcuts work.
  const form = document.querySelector("form[data-patient-search]");
  if (form) {
    const input = form.querySelector("input[name=q]");
    const born = form.querySelector("input[name=born]");
    const box = document.getElementById("results");
    const current = () => input.value.trim() + "|" + (born ? born.value : "");
    const shown = () => box.querySelector(".results");
    const fresh = () => shown() && shown().dataset.query === current();
    const move = (step) => {
      const links = Array.from(box.querySelectorAll("[data-result]"));
      if (!links.length) return;
      const at = links.findIndex((a) => a.classList.contains("is-active"));
      const next = Math.max(0, Math.min(links.length - 1, at + step));
      links.forEach((a) => a.classList.remove("is-active"));
      links[next].classList.add("is-active");
      links[next].scrollIntoView({ block: "nearest" });
    };
    const open = () => {
      if (!input.value.trim() && !(born && born.value)) return;
      if (fresh()) {
        if (shown().hasAttribute("data-stay")) return;
        const target = box.querySelector("[data-result].is-active") ||
          box.querySelector("[data-register]");
        if (target) location.assign(target.href);
        return;
      }
      // Enter before the live results arrived: the server opens the first match.
      const params = new URLSearchParams(new FormData(form));
      params.set("open", "first");
      location.assign(form.action + "?" + params.toString());
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        move(event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Enter") {
        event.preventDefault();
        open();
      } else if (event.key === "Escape") {
        event.preventDefault(); // a search box would clear itself: keep what was typed
        input.blur();
      }
    });
  }

  // A link with data-focus="field-id" puts the cursor in that field (the "c" shortcut
  // on the patient page goes to the call log).
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-focus]");
    const field = link && document.getElementById(link.dataset.focus);
    if (field) {
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
  });
})();
