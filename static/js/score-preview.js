/* Live total while a self-assessment or review form is filled in: the form is sent to the server, which
   scores it with the same engine as a save (nothing is stored), and the totals on the page are updated.
   Without JavaScript the page still works: the total is shown after each save. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview]");
  if (!form || !window.fetch) { return; }
  var timer = null;
  var pending = null;

  function show(data) {
    var error = document.querySelector("[data-preview-error]");
    if (error) { error.textContent = data.error ? "— " + data.error : ""; }
    if (data.error) { return; }
    document.querySelectorAll("[data-total]").forEach(function (el) { el.textContent = data.total; });
    document.querySelectorAll("[data-rank]").forEach(function (el) { el.textContent = data.rank; });
    document.querySelectorAll("[data-rank-note]").forEach(function (el) {
      el.textContent = data.rank_note ? "(" + data.rank_note + ")" : "";
    });
    document.querySelectorAll("[data-applicable]").forEach(function (el) { el.textContent = data.applicable; });
    Object.keys(data.items).forEach(function (key) {
      var el = document.querySelector('[data-achieved="' + key + '"]');
      if (el) { el.textContent = data.items[key]; }
    });
  }

  function refresh() {
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(form.dataset.preview, {
      method: "POST", body: new FormData(form), signal: pending.signal, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* offline or aborted: the total is shown again after saving */ });
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 300); }
  form.addEventListener("change", schedule);
  form.addEventListener("input", schedule);
  // Once the form is being saved, a late preview has nothing left to show.
  form.addEventListener("submit", function () {
    clearTimeout(timer);
    if (pending) { pending.abort(); }
    form.removeEventListener("change", schedule);
    form.removeEventListener("input", schedule);
  });
}());
