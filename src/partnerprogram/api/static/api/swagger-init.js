// Starts Swagger UI (vendored in static/vendor/swagger-ui) on the API's OpenAPI document.
// Authorize with "Bearer": paste an API token.
(function () {
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  window.ui = SwaggerUIBundle(config);
})();
