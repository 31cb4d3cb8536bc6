// The workbench's few lines of script: everything works without them.
(function () {
  "use strict";
  // Ctrl+Enter (or Cmd+Enter) submits the form being typed in.
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && e.target.form) {
      e.preventDefault();
      if (e.target.form.requestSubmit) { e.target.form.requestSubmit(); } else { e.target.form.submit(); }
    }
    // "/" jumps to the search box when not typing somewhere.
    if (e.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) {
      var search = document.querySelector("[data-search]");
      if (search) { e.preventDefault(); search.focus(); }
    }
  });
  document.addEventListener("click", function (e) {
    var back = e.target.closest("[data-back]");
    if (back && history.length > 1) { e.preventDefault(); history.back(); }
    var fill = e.target.closest("[data-fill]");
    if (fill) {  // copy a suggestion into a field, e.g. a department into the dispatch form
      var field = document.getElementById(fill.getAttribute("data-fill"));
      if (field) { field.value = fill.getAttribute("data-value"); field.focus(); }
    }
  });
  // Focus the first field with an error, else the field marked for it.
  window.addEventListener("DOMContentLoaded", function () {
    var bad = document.querySelector("[aria-invalid=true]");
    if (bad) { bad.focus(); }
  });
  // A live count of the characters typed against the field's maxlength ([data-count] names
  // the field); at the limit the browser takes nothing more, and the note beside it says so.
  function count(out) {
    var field = document.getElementById(out.getAttribute("data-count"));
    if (!field || field.maxLength < 0) { return; }
    var n = field.value.length, full = out.parentNode.querySelector("[data-full]");
    out.textContent = n + " / " + field.maxLength;
    out.classList.toggle("error", n >= field.maxLength);
    if (full) { full.hidden = n < field.maxLength; }
  }
  document.addEventListener("input", function (e) {
    document.querySelectorAll("[data-count]").forEach(function (out) {
      if (out.getAttribute("data-count") === e.target.id) { count(out); }
    });
  });
  window.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-count]").forEach(count);
  });
  // Countdowns tick once a minute without reloading the page.
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("data-deadline")) - Date.now()) / 60000);
      el.classList.toggle("late", left < 0);
    });
  }
  setInterval(tick, 60000);
})();
