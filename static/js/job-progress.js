/* Progress of a background job (the ward bundle) on the page that started it: asks the job's JSON every two
   seconds and updates the bar, then shows the download link or the error. Without JavaScript the same box
   is drawn by the server and a link reloads the page. */
(function () {
  "use strict";
  var box = document.querySelector("[data-job]");
  if (!box || !window.fetch) { return; }
  var every = 2000;

  function set(selector, text) {
    var el = box.querySelector(selector);
    if (el) { el.textContent = text; }
  }

  function show(data) {
    box.setAttribute("data-job-state", data.state);
    set("[data-job-label]", data.label);
    set("[data-job-percent]", data.percent + "%");
    set("[data-job-steps]", data.total ? "(" + data.done + "/" + data.total + " tệp)" : "");
    var bar = box.querySelector("[data-job-bar]");
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
    var error = box.querySelector("[data-job-error]");
    if (error) { error.textContent = data.error; error.hidden = !data.error; }
    var download = box.querySelector("[data-job-download]");
    if (download) { download.hidden = !data.download; }
  }

  function poll() {
    fetch(box.getAttribute("data-job"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        show(data);
        if (data.state === "queued" || data.state === "running") { window.setTimeout(poll, every); }
      })
      .catch(function () { window.setTimeout(poll, every * 3); });
  }

  var state = box.getAttribute("data-job-state");
  if (state === "queued" || state === "running") { window.setTimeout(poll, every); }
}());
