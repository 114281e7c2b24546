// Starts Swagger UI on /docs. A file of its own, not an inline script, so the page runs under a
// Content-Security-Policy that allows scripts from this origin only.
window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    tryItOutEnabled: false,
  });
});
