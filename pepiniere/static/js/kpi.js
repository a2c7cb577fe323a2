/* Jobs count: created, maintained and research FTE per year (Chart.js, vendored). The same
   figures are in the table under the chart. Values arrive as decimal strings. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var source = document.getElementById("kpi-chart-data");
  var canvas = document.getElementById("kpi-chart");
  if (!window.Chart || !source || !canvas) { return; }
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang || "fr";
  var locale = lang === "en" ? "en-GB" : "fr-FR";
  var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  // FTE as the tables show them: always one decimal (« 64,4 », « 12,0 »).
  var fte = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var names = data.names;
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: names[0], data: data.created.map(Number), backgroundColor: "#1d5e3a" },
        { label: names[1], data: data.maintained.map(Number), backgroundColor: "#9cc3ad" },
        { label: names[2], data: data.research.map(Number), backgroundColor: "#c9a227" }
      ]
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { ticks: { callback: function (value) { return number.format(value); } } } },
      plugins: { tooltip: { callbacks: { label: function (item) {
        return item.dataset.label + (lang === "fr" ? " : " : ": ") + fte.format(item.parsed.y);
      } } } }
    }
  });
});
