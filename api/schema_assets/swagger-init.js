// Starts Swagger UI on /schema from a file rather than an inline script, which the
// Content-Security-Policy (script-src 'self') does not allow. The page names the schema URL.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    filter: true, // a box to filter the operations by tag
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // no badge fetched from the public validator
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
