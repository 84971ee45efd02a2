// Filters for the findings: by severity, rule family, country and framework objective. Without
// scripts the form stays hidden and every finding shows.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) return;
  var findings = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("[data-findings-group]"));
  var shownCount = document.getElementById("shown-count");

  function has(list, value) {
    return list.split(" ").indexOf(value) >= 0;
  }

  function apply() {
    var severities = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=severity]"), function (box) {
      severities[box.value] = box.checked;
    });
    var family = form.elements.family.value;
    var country = form.elements.country.value;
    var framework = form.elements.framework.value;
    var shown = 0;
    findings.forEach(function (finding) {
      var data = finding.dataset;
      var show = severities[data.severity] &&
        (!family || data.family === family) &&
        (!country || has(data.countries, country)) &&
        (!framework || has(data.frameworks, framework));
      finding.hidden = !show;
      if (show) shown += 1;
    });
    groups.forEach(function (group) {
      group.hidden = !group.querySelector("article.finding:not([hidden])");
    });
    shownCount.textContent = String(shown);
  }

  // Following a link to a finding the filters hide: clear the filters so that it shows.
  function reveal() {
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.closest("#findings") && (target.hidden || target.closest("[hidden]"))) {
      form.reset();
      apply();
      target.scrollIntoView();
    }
  }

  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  window.addEventListener("hashchange", reveal);
  form.hidden = false;
  apply();
  document.body.setAttribute("data-filters-ready", "");
})();
