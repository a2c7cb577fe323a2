/* Match-funding pool: awarded top-ups per project type and what remains (Chart.js, vendored).
   The same figures are in the table under the chart. Values arrive as decimal strings. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var source = document.getElementById("pool-chart-data");
  var canvas = document.getElementById("pool-chart");
  if (!window.Chart || !source || !canvas) { return; }
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang || "fr";
  var money = new Intl.NumberFormat(lang === "en" ? "en-GB" : "fr-FR", { style: "currency", currency: "EUR" });
  var colours = ["#1d5e3a", "#c9a227", "#3b6ea5", "#8a4f7d", "#d9d9d9"];
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{
        data: data.values.map(Number),
        backgroundColor: data.labels.map(function (_label, i) {
          return i === data.labels.length - 1 ? "#d9d9d9" : colours[i % 4];
        })
      }]
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: function (item) { return money.format(item.parsed.x); } } }
      },
      scales: { x: { ticks: { callback: function (value) { return money.format(value); } } } }
    }
  });
});
