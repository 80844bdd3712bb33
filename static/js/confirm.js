/* Asks before a step that is hard to undo: any form with data-confirm="…" (Phê duyệt, Trả lại, Mở lại, Xóa).
   Vendored, no inline script (the CSP allows none). Without JavaScript the form is sent as it is; the
   services still refuse what the card's state does not allow. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var text = (event.submitter && event.submitter.dataset.confirm) || form.dataset.confirm;
    if (text && !window.confirm(text)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
}());
