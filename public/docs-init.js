// The API reference at /docs: Swagger UI renders this gateway's /openapi.json, and "Try it out"
// calls this gateway. A file rather than an inline script, so the page runs under script-src 'self'.
window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
  // No outside calls: the validator badge would fetch from validator.swagger.io.
  validatorUrl: null,
})
