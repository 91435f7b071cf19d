// The colour theme follows the device's setting (light or dark), live. Loaded in the
// <head> so that the page is drawn in its theme from the start; without it, light.
(function () {
  var query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function apply() {
    document.documentElement.setAttribute("data-bs-theme", query && query.matches ? "dark" : "light");
  }
  apply();
  if (query && query.addEventListener) { query.addEventListener("change", apply); }
})();
