// weizhong clinic: the clickable body chart (figures.body_chart_html).
//
// The checkboxes in the "Regions as a list" part are what the form posts; the SVG shapes are a
// picture of them. Clicking a shape (or Space / Enter on it) flips its checkbox and sends a
// bubbling "change" from that checkbox, so an htmx form with hx-trigger="change" re-posts;
// every change of a checkbox then repaints all the shapes of its region (front and back).
// Colours come from data- attributes on the fieldset, so nothing here needs inline styles.
(function () {
  "use strict";

  function quoted(value) {
    return '"' + (window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/["\\]/g, "\\$&")) + '"';
  }

  function checkbox(chart, region) {
    return chart.querySelector('input[type="checkbox"][name][value=' + quoted(region) + "]");
  }

  function shapes(chart, region) {
    return chart.querySelectorAll(".region[data-region=" + quoted(region) + "]");
  }

  function paint(chart, shape, on) {
    var look = chart.dataset;
    shape.classList.toggle("selected", on);
    shape.setAttribute("aria-checked", on ? "true" : "false");
    shape.setAttribute("fill", on ? look.selectedFill : look.fill);
    shape.setAttribute("stroke", on ? look.selectedStroke : look.stroke);
    var width = on ? look.selectedStrokeWidth : look.strokeWidth;
    // A focused shape keeps a thicker outline, so the keyboard user sees where they are.
    shape.setAttribute("stroke-width", shape === document.activeElement ? String(Number(width) + Number(look.focusExtra || 2)) : width);
  }

  function repaint(chart, region) {
    var box = checkbox(chart, region);
    var on = Boolean(box && box.checked);
    shapes(chart, region).forEach(function (shape) { paint(chart, shape, on); });
  }

  function toggle(chart, region) {
    var box = checkbox(chart, region);
    if (!box || box.disabled) return;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function shapeOf(chart, event) {
    var target = event.target;
    var shape = target && target.closest ? target.closest(".region[data-region]") : null;
    return shape && chart.contains(shape) ? shape : null;
  }

  function bind(chart) {
    if (chart.dataset.bodychartBound) return;
    chart.dataset.bodychartBound = "1";
    chart.addEventListener("click", function (event) {
      var shape = shapeOf(chart, event);
      if (!shape) return;
      event.preventDefault();
      toggle(chart, shape.getAttribute("data-region"));
    });
    chart.addEventListener("keydown", function (event) {
      if (event.key !== " " && event.key !== "Enter" && event.key !== "Spacebar") return;
      var shape = shapeOf(chart, event);
      if (!shape) return;
      event.preventDefault(); // no page scroll on Space, no form submit on Enter
      if (!event.repeat) toggle(chart, shape.getAttribute("data-region"));
    });
    chart.addEventListener("change", function (event) {
      var box = event.target;
      if (box && box.matches && box.matches('input[type="checkbox"]')) repaint(chart, box.value);
    });
    ["focusin", "focusout"].forEach(function (kind) {
      chart.addEventListener(kind, function (event) {
        var shape = shapeOf(chart, event);
        if (!shape) return;
        // focusout fires before activeElement moves on: repaint once it has.
        window.setTimeout(function () { repaint(chart, shape.getAttribute("data-region")); }, 0);
      });
    });
  }

  function init() {
    document.querySelectorAll("fieldset.bodychart").forEach(function (chart) {
      bind(chart);
      // The browser may have restored checkboxes (back button) or htmx swapped new ones in.
      chart.querySelectorAll(".region[data-region]").forEach(function (shape) {
        var box = checkbox(chart, shape.getAttribute("data-region"));
        paint(chart, shape, Boolean(box && box.checked));
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:afterSwap", init);
})();
