/* Dashboard charts (Chart.js, vendored). The same figures are in the tables under each chart. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (!window.Chart) { return; }
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var green = "#1d5e3a";
  var locale = document.documentElement.lang || "fr";
  function bar(id, series, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ data: series.values, backgroundColor: green }] },
      // The page's language formats the axes and tooltips (« 1 234 », « 0,5 » in French).
      options: { locale: locale, indexAxis: horizontal ? "y" : "x", plugins: { legend: { display: false } }, animation: false }
    });
  }
  bar("chart-status", data.status, true);
  bar("chart-departement", data.departement, false);
});
