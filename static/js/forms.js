// The error summary takes the focus (templates/includes/error_summary.html), so screen reader
// and keyboard users start from the list of problems. Its autofocus attribute does this without
// JavaScript in most browsers; this covers the others and the fragments htmx swaps in. A link of
// the summary focuses its field and scrolls its label (or legend) into view, as GOV.UK's does.
(function () {
  "use strict";

  function focusSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary && document.activeElement !== summary) {
      summary.focus();
    }
  }

  function labelOf(input) {
    var fieldset = input.closest("fieldset");
    if (fieldset && fieldset.querySelector("legend")) {
      return fieldset.querySelector("legend");
    }
    return document.querySelector('label[for="' + CSS.escape(input.id) + '"]') || input;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) {
      return;
    }
    var input = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!input) {
      return;
    }
    event.preventDefault();
    labelOf(input).scrollIntoView();
    input.focus({ preventScroll: true });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusSummary(); });
  } else {
    focusSummary();
  }
  // htmx fires htmx:load on each piece of content it swaps in (and once on the page).
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.querySelector) {
      focusSummary(elt.matches("[data-error-summary]") ? elt.parentNode : elt);
    }
  });
})();
