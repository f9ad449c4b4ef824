// Swagger UI for /openapi.json, loaded from this origin only: no validator badge (it calls
// validator.swagger.io), no spec URL taken from the query string (it would load another host's document).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  queryConfigEnabled: false,
  deepLinking: true,
  displayRequestDuration: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
});
