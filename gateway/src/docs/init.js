// Swagger UI for this gateway's /openapi.json. Served from the gateway itself with a
// Content-Security-Policy of 'self' (docs.ts), so this is a file rather than an inline script.
window.addEventListener("load", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The default posts the document to validator.swagger.io for a badge: no other origin here.
    validatorUrl: null,
    displayRequestDuration: true,
    // A pasted token lives only as long as the tab.
    persistAuthorization: false,
  });
});
