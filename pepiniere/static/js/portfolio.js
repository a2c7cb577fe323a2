/* An organisation's KPI series (Chart.js, vendored): one small line chart per indicator. The same
   figures are in the table under the charts. Values arrive as decimal strings (or null: no
   report for that year); points of reports not validated yet are drawn hollow. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var source = document.getElementById("kpi-chart-data");
  if (!window.Chart || !source) { return; }
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang || "fr";
  var locale = lang === "en" ? "en-GB" : "fr-FR";
  var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  // FTE as the table under the charts shows them: always one decimal (« 64,4 », « 12,0 »).
  var fte = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  var money = { revenue: true, raised: true };
  var green = "#1d5e3a";
  document.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
    var key = canvas.getAttribute("data-series");
    var values = (data.series[key] || []).map(function (v) { return v === null ? null : Number(v); });
    var axis = money[key] ? compact : numbers;
    new window.Chart(canvas, {
      // Funds raised come in rounds: bars; the other series are levels: lines.
      type: key === "raised" ? "bar" : "line",
      data: {
        labels: data.years.map(String),
        datasets: [{
          data: values,
          borderColor: green,
          backgroundColor: data.validated.map(function (ok) { return ok ? green : "#fff"; }),
          pointRadius: 3,
          spanGaps: true
        }]
      },
      options: {
        locale: lang,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (item) {
          return (key === "fte" ? fte : numbers).format(item.parsed.y);
        } } } },
        scales: { y: { beginAtZero: true, ticks: { callback: function (value) { return axis.format(value); } } } }
      }
    });
  });
});
