// weizhong clinic: small progressive enhancements (the pages work without them).
(function () {
  "use strict";
  function focusFinding(id) {
    var box = document.getElementById("field-" + id);
    if (!box) return false;
    var details = box.closest("details");
    if (details) details.open = true;
    document.querySelectorAll(".finding.focus").forEach(function (el) { el.classList.remove("focus"); });
    box.classList.add("focus");
    box.scrollIntoView({ block: "center" });
    var input = box.querySelector("input, select, textarea");
    if (input) input.focus({ preventScroll: true });
    return true;
  }
  function init(root) {
    root.querySelectorAll("[data-focus-finding]").forEach(function (link) {
      if (link.dataset.bound) return;
      link.dataset.bound = "1";
      link.addEventListener("click", function (event) {
        if (focusFinding(link.dataset.focusFinding)) event.preventDefault();
      });
    });
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      if (button.dataset.bound) return;
      button.dataset.bound = "1";
      button.addEventListener("click", function () {
        var target = document.getElementById(button.dataset.copy);
        if (!target) return;
        target.select();
        if (navigator.clipboard) navigator.clipboard.writeText(target.value);
        button.textContent = button.dataset.done || "Copied";
      });
    });
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      form.addEventListener("submit", function (event) {
        var submitter = event.submitter;
        var message = (submitter && submitter.dataset.confirm) || null;
        if (message && !window.confirm(message)) event.preventDefault();
      });
    });
    root.querySelectorAll("form[data-enter-moves-on]").forEach(function (form) {
      // A long form (the exam): Enter in a field goes to the next field, as in a spreadsheet,
      // and never sends a half-filled form (issue 13: it saved a near-empty exam). Only the
      // form's buttons send it.
      if (form.dataset.boundEnter) return;
      form.dataset.boundEnter = "1";
      form.addEventListener("keydown", function (event) {
        var field = event.target;
        if (event.key !== "Enter" || field.tagName !== "INPUT") return;
        if (/^(submit|button|image|reset)$/.test(field.type)) return;
        event.preventDefault();
        var fields = Array.prototype.filter.call(
          form.querySelectorAll("input, select, textarea"),
          function (el) { return !el.disabled && el.type !== "hidden" && el.offsetParent !== null; }
        );
        var next = fields[fields.indexOf(field) + 1];
        if (next) next.focus();
      });
    });
    root.querySelectorAll("form[data-default-button]").forEach(function (form) {
      // The booking form (issue 15): its first button is the patient search's (without
      // JavaScript, Enter in a field searches and keeps what was typed). Here Enter in the
      // search field searches at once, and Enter in another field books; Arrow Down goes from
      // the search field to the patients found (Arrow Up/Down then choose among them).
      if (form.dataset.boundDefault) return;
      form.dataset.boundDefault = "1";
      form.addEventListener("keydown", function (event) {
        var field = event.target;
        if (field.tagName !== "INPUT") return;
        var search = field.hasAttribute("data-picker-search");
        if (search && event.key === "ArrowDown") {
          var choices = form.querySelectorAll("#book-choices input[type=radio]");
          var checked = form.querySelector("#book-choices input[type=radio]:checked");
          if (choices.length) {
            event.preventDefault();
            (checked || choices[0]).focus();
          }
          return;
        }
        if (event.key !== "Enter" || /^(submit|button|image|reset)$/.test(field.type)) return;
        event.preventDefault();
        if (search && window.htmx) window.htmx.trigger(field, "search");
        else if (!search) form.requestSubmit(document.getElementById(form.dataset.defaultButton));
      });
    });
    root.querySelectorAll("[data-disable-on-submit]").forEach(function (form) {
      if (form.dataset.boundSubmit) return;
      form.dataset.boundSubmit = "1";
      form.addEventListener("submit", function () {
        // A second tap would be harmless (the server ignores a repeated token) but confusing.
        window.setTimeout(function () {
          form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });
  }
  function bindFind() {
    // The header's patient search: Arrow Down from the field into the results, Arrow Up/Down
    // between them, Escape back to the field; the results close when focus leaves the search.
    var form = document.querySelector("form.find");
    var field = document.getElementById("find-q");
    var box = document.getElementById("find-results");
    if (!form || !field || !box) return;
    function links() { return Array.prototype.slice.call(box.querySelectorAll("a")); }
    form.addEventListener("keydown", function (event) {
      var all = links();
      var at = all.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && all.length) {
        event.preventDefault();
        all[Math.min(at + 1, all.length - 1)].focus();
      } else if (event.key === "ArrowUp" && at >= 0) {
        event.preventDefault();
        if (at === 0) field.focus(); else all[at - 1].focus();
      } else if (event.key === "Escape") {
        box.innerHTML = "";
        field.focus();
      }
    });
    form.addEventListener("focusout", function () {
      window.setTimeout(function () {
        if (!form.contains(document.activeElement)) box.innerHTML = "";
      }, 150);
    });
  }
  function scrollables() {
    // A wide table scrolls sideways in its own box on a narrow screen: the box then takes the
    // keyboard focus, so that the arrow keys scroll it (axe: scrollable-region-focusable).
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight;
      if (scrolls) box.setAttribute("tabindex", "0");
      else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    });
  }
  var resizing = 0;
  window.addEventListener("resize", function () {
    window.cancelAnimationFrame(resizing);
    resizing = window.requestAnimationFrame(scrollables);
  });
  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    bindFind();
    scrollables();
    var focus = document.body.dataset.focus;
    if (focus) focusFinding(focus);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    init(event.target);
    scrollables();
    // A refused save (409 conflict, 422 problems) swaps in its message at the top of the
    // fragment: bring it into view and to the screen reader, not only where the button was.
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status >= 400) {
      var alert = event.target.querySelector("[role=alert]");
      if (alert) {
        alert.setAttribute("tabindex", "-1");
        alert.scrollIntoView({ block: "center" });
        alert.focus({ preventScroll: true });
      }
    }
  });
})();
