"""HTTP API: Litestar app, controllers and the request/response shapes."""
