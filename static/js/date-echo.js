// The date typed in a date field, written out in words next to it ("mercredi 2 décembre 2026"),
// in the page's language, not the browser's (issue 18, D5): a browser set to en-US shows a French
// page's date fields as mm/dd/yyyy, and 02/12 then means 12 February. The words follow each
// keystroke, are read out politely (aria-live) and describe the field (aria-describedby).
// Without JavaScript nothing is lost: the server confirms an implausible date in words.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) return;
  var words = null; // made at the first date field: most pages have none

  function formatter() {
    if (words === null) {
      var lang = document.documentElement.lang || "fr";
      // The site's English is British: "Wednesday 2 December 2026", the day before the month.
      words = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : lang, {
        weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
      });
    }
    return words;
  }

  function inWords(value) {
    var parts = /^(\d{4,})-(\d{2})-(\d{2})$/.exec(value);
    if (!parts) return "";
    var day = new Date(0);
    day.setUTCFullYear(+parts[1], +parts[2] - 1, +parts[3]); // years below 100 stay as typed
    if (isNaN(day.getTime())) return "";
    // Without the comma some locales put after the weekday, as the server writes dates in words
    // ("l j F Y"): "Wednesday 2 December 2026".
    return formatter().formatToParts(day).map(function (part) {
      return part.type === "literal" ? part.value.replace(",", "") : part.value;
    }).join("");
  }

  function enhance(input) {
    if (input.dataset.dateEcho || !input.id) return;
    try {
      formatter();
    } catch (error) {
      return; // a language the browser cannot write: the field stays as it is
    }
    input.dataset.dateEcho = "on";
    var echo = document.createElement("span");
    echo.className = "date-echo";
    echo.id = input.id + "_echo";
    echo.setAttribute("aria-live", "polite");
    echo.textContent = inWords(input.value);
    input.insertAdjacentElement("afterend", echo);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + echo.id);
    var update = function () {
      var text = inWords(input.value);
      if (echo.textContent !== text) echo.textContent = text;
    };
    input.addEventListener("input", update);
    input.addEventListener("change", update);
  }

  function enhanceAll(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches('input[type="date"]')) enhance(root);
    root.querySelectorAll('input[type="date"]').forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
  // Forms htmx swaps in (the dashboard's inline injection form) get their echo too.
  document.addEventListener("htmx:load", function (event) {
    enhanceAll(event.detail && event.detail.elt);
  });
})();
