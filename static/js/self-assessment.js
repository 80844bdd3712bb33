/* Tự chấm tháng, made lighter by script; everything here also works without it (the page posts as a form):
   - evidence chosen under a criterion is uploaded at once in the background and ticked under it, so nothing
     typed is lost and no page reload happens (without script, "Lưu nháp" uploads it with the save);
   - the draft saves itself a few seconds after each change (the card's version is kept in step, so the
     officer's own autosaves never look like someone else's edit);
   - the count of criteria still "Chưa chấm" and the list of what is missing before submitting follow what is
     chosen, as the server's refusal would list it. */
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var version = form.querySelector("input[name=version]");
  var status = form.querySelector("[data-autosave-status]");
  var AUTOSAVE_DELAY = 2500;
  var timer = null;
  var saving = false; // an autosave is queued or in flight
  var dirty = false;
  var waitingSubmit = null; // the button of a save/submit pressed while an autosave was in flight

  function say(el, text) { if (el) { el.textContent = text; } }

  function post(url, body) {
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  // One request at a time: an upload and an autosave never write at once (SQLite, the development database,
  // takes one writer at a time), and each autosave carries the version the previous one returned.
  var queue = Promise.resolve();
  var busy = 0;
  function enqueue(task) {
    busy += 1;
    var run = queue.then(task).then(function () {
      busy -= 1;
      if (!busy && waitingSubmit) {
        var button = waitingSubmit;
        waitingSubmit = null;
        form.requestSubmit(button);
      }
    });
    queue = run;
    return run;
  }

  function formData() {
    var data = new FormData(form);
    // Files go up on their own (below); an autosave never carries them.
    form.querySelectorAll("input[type=file]").forEach(function (input) { data.delete(input.name); });
    data.set("save", "1");
    return data;
  }

  function autosave() {
    clearTimeout(timer);
    if (saving) { dirty = true; return; }
    saving = true;
    enqueue(function () {
      dirty = false;
      say(status, "Đang tự lưu…");
      return post(form.dataset.autosave, formData()).then(function (data) {
        if (data.version !== undefined) { version.value = data.version; say(status, data.saved); }
        else { say(status, "Chưa tự lưu được: " + data.error); }
      }).catch(function () {
        say(status, "Chưa tự lưu được (mất kết nối?): bấm “Lưu nháp” khi có mạng.");
      }).then(function () {
        saving = false;
        if (dirty) { autosave(); }
      });
    });
  }

  function scheduleAutosave() { clearTimeout(timer); timer = setTimeout(autosave, AUTOSAVE_DELAY); }

  // --- evidence in place -------------------------------------------------------------------------------------
  function upload(input) {
    var entry = input.dataset.entry;
    var where = form.querySelector('[data-upload-status="' + entry + '"]');
    if (!form.dataset.upload || !input.files.length) { return; }
    var data = new FormData();
    data.set("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
    data.set("entry", entry);
    Array.prototype.forEach.call(input.files, function (file) { data.append("e-files", file); });
    say(where, "Đang tải lên " + input.files.length + " tệp…");
    enqueue(function () {
      return post(form.dataset.upload, data).then(function (answer) {
        input.value = ""; // stored (or refused with a reason): the save must not send the same files again
        if (answer.error) { say(where, answer.error); return; }
        var list = form.querySelector('[data-attached="' + entry + '"]');
        answer.evidence.forEach(function (ev) { list.insertAdjacentHTML("beforeend", ev.html); });
        say(where, answer.message);
        refresh();
        autosave(); // the ticked files are attached to the criterion by the draft's save
      }).catch(function () {
        say(where, "Không tải lên được (mất kết nối?). Tệp vẫn được chọn: bấm “Lưu nháp” để gửi cùng phiếu.");
      });
    });
  }

  // --- what is left ------------------------------------------------------------------------------------------
  function missing() {
    var left = [];
    var unassessed = 0;
    form.querySelectorAll("fieldset.crit").forEach(function (crit) {
      var chosen = crit.querySelector("input[type=radio]:checked");
      if (!chosen) { return; } // set by the rubric, nothing to choose
      var key = crit.dataset.key;
      var value = chosen.value;
      if (value === "not_assessed") {
        if (!crit.hasAttribute("data-auto")) { unassessed += 1; left.push(key + ": chưa chấm"); }
        return;
      }
      if (value === "not_applicable") {
        if (!crit.querySelector("textarea[name^=na-]").value.trim()) { left.push(key + ": thiếu lý do không áp dụng"); }
        return;
      }
      if ((value === "partial" || value === "late_partial") && !crit.querySelector("input[name^=ratio-]").value.trim()) {
        left.push(key + ": thiếu tỷ lệ đạt");
      }
      var files = crit.querySelectorAll("input[type=checkbox][name^=ev-]:checked").length;
      var chosenFiles = crit.querySelector("input[type=file]");
      var note = crit.querySelector("textarea[name^=note-]").value.trim();
      if (!files && !note && !(chosenFiles && chosenFiles.files.length)) { left.push(key + ": chưa có minh chứng"); }
    });
    return { left: left, unassessed: unassessed };
  }

  function refresh() {
    var found = missing();
    form.querySelectorAll("[data-unassessed]").forEach(function (el) { el.textContent = found.unassessed; });
    var box = form.querySelector("[data-missing]");
    if (!box) { return; }
    box.textContent = "";
    var head = document.createElement("p");
    if (!found.left.length) { head.textContent = "Đã chấm đủ mọi tiêu chí."; box.appendChild(head); return; }
    var strong = document.createElement("b");
    strong.textContent = "Còn thiếu " + found.left.length + " mục";
    head.appendChild(strong);
    head.appendChild(document.createTextNode(" — phiếu chưa nộp được:"));
    var list = document.createElement("ul");
    found.left.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    box.appendChild(head);
    box.appendChild(list);
  }

  form.addEventListener("change", function (event) {
    if (event.target.type === "file") { upload(event.target); refresh(); return; }
    refresh();
    scheduleAutosave();
  });
  form.addEventListener("input", function (event) {
    if (event.target.type === "file" || event.target.type === "radio" || event.target.type === "checkbox") { return; }
    refresh();
    scheduleAutosave();
  });
  var confirmBox = form.querySelector("[data-confirm-submit]");
  if (confirmBox) { confirmBox.addEventListener("toggle", refresh); }

  // A save or submit waits for the autosave in flight, then goes with the version that autosave returned.
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (busy) {
      event.preventDefault();
      event.stopImmediatePropagation();
      waitingSubmit = event.submitter || null;
    }
  }, true);
  refresh();
}());
