/* Impact pages: one bar chart per entry of #impact-chart-data (Chart.js, vendored). The same
   figures are in the table under the charts; values arrive as decimal strings, a masked or
   missing cell as null (a gap, never a number). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (!window.Chart) { return; }
  var charts = [];
  ["impact-chart-data", "impact-event-data", "impact-forecast-data"].forEach(function (id) {
    var source = document.getElementById(id);
    if (source) { charts = charts.concat(JSON.parse(source.textContent)); }
  });
  var lang = document.documentElement.lang || "fr";
  var locale = lang === "en" ? "en-GB" : "fr-FR";
  var colours = ["#1d5e3a", "#9cc3ad", "#c9a227", "#5b7fa6"];
  function formatter(kind) {
    if (kind === "money") {
      return new Intl.NumberFormat(locale, { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
    }
    if (kind === "fte") {
      return new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    }
    return new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  }
  charts.forEach(function (chart) {
    var canvas = document.getElementById(chart.id);
    if (!canvas) { return; }
    var format = formatter(chart.kind);
    new window.Chart(canvas, {
      type: chart.type || "bar",
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (set, i) {
          return {
            label: set.label,
            data: set.values.map(function (v) { return v === null ? null : Number(v); }),
            backgroundColor: colours[i % colours.length],
            borderColor: colours[i % colours.length],
            borderDash: chart.type === "line" && i > 0 ? [6, 4] : [],
            spanGaps: false
          };
        })
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { ticks: { callback: function (value) { return format.format(value); } } } },
        plugins: { tooltip: { callbacks: { label: function (item) {
          return item.dataset.label + (lang === "fr" ? " : " : ": ") + format.format(item.parsed.y);
        } } } }
      }
    });
  });
});
